/**
 * The native engine's OCR process, seen from the service: native-tesseract.host.ts in a child
 * process, started with the first page and kept warm. libtesseract is C++: a fault inside it (a
 * damaged page image it cannot handle, a bug) would end whatever process it runs in. Here that is
 * this child, and only the pages it was reading fail, each with a clear error, which their jobs
 * retry (a page that keeps crashing it fails its job once its attempts are spent); the next page
 * starts a new one. The service, its requests and its other work carry on.
 *
 * A page's pixels go in a file in a private folder in memory (/dev/shm where there is one), written
 * from where they are and read by the OCR thread that reads the page, then removed; the IPC
 * channel carries only small messages. Sent over the channel instead, the serializer's copies of
 * an A4 page at 300 dpi (8.7 MB) made the service collect its heap far more often: ~55 ms more
 * CPU a page than reading in threads here, against ~20 ms this way (measured end to end, `npm
 * run bench`). Where memory is short (a container's /dev/shm is 64 MB by default, a 600 dpi A3
 * page 70 MB) a page goes to the temp folder instead. A folder left by a service that was killed
 * is removed by the next one that makes its own there.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GreyImage } from '../pdf/pdf-render.js';
import type { AddonPass } from './tesseract-addon.js';
import type { HostPassArgs, HostRequest, HostResponse } from './native-tesseract.host.js';

type Pending = { child: ChildProcess; resolve(v: AddonPass): void; reject(e: Error): void; timer: NodeJS.Timeout; stop?: AbortSignal; onStop?: () => void };

export type OcrProcessOptions = {
  /** OCR threads in the process, one pass each at a time. */
  threads: number;
  /** Hears why the process ended under pages it was reading (a signal such as SIGSEGV, or an exit code). */
  onCrash?: (why: string, pages: number) => void;
  /** Where page files go, tried in order (default: /dev/shm where writable, then the temp folder). */
  pageFolderBases?: string[];
};

/** Where page files go, in order: memory (/dev/shm, tmpfs) where it can be written, then the temp folder. */
export function pageFolderBases(): string[] {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return ['/dev/shm', os.tmpdir()];
  } catch {
    return [os.tmpdir()];
  }
}

const FOLDER_PREFIX = 'dossierlink-ocr-';

/**
 * Makes this process's page folder in `base` (`dossierlink-ocr-<pid>-XXXXXX`, 0700) and removes
 * those of processes that are gone (killed before they could remove theirs): a page file is
 * 8.7 MB of memory.
 */
function makePageFolder(base: string): string {
  try {
    for (const name of readdirSync(base)) {
      const pid = Number(/^dossierlink-ocr-(\d+)-/.exec(name)?.[1]);
      if (!pid || pid === process.pid || alive(pid)) continue;
      rmSync(path.join(base, name), { recursive: true, force: true });
    }
  } catch {
    // Another user's folder, or one already gone: nothing to do.
  }
  return mkdtempSync(path.join(base, `${FOLDER_PREFIX}${process.pid}-`));
}

/** Whether a process exists (EPERM: it does, another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The host's entry as compiled; from source (tsx), its `.ts` twin run through tsx. */
function hostEntry(): { file: string; execArgv: string[] } {
  const js = fileURLToPath(new URL('./native-tesseract.host.js', import.meta.url));
  if (existsSync(js)) return { file: js, execArgv: [] };
  return { file: js.replace(/\.js$/, '.ts'), execArgv: ['--import', import.meta.resolve('tsx')] };
}

export class OcrProcess {
  private child?: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** The private folders (0700) of page files by where they are, each made with its first page. */
  private readonly folders = new Map<string, string>();
  /** Whether the folders are removed at exit (a listener added with the first page). */
  private removedAtExit = false;
  private readonly removeFolders = () => {
    for (const f of this.folders.values()) rmSync(f, { recursive: true, force: true });
    this.folders.clear();
  };

  constructor(private readonly opts: OcrProcessOptions) {}

  /**
   * One pass. `stop` raises the pass's flag in the process (it ends within a word); a pass that
   * does not answer within `timeoutMs` means the process is stuck: it is ended, and a new one
   * reads the next page.
   */
  async pass(args: Omit<HostPassArgs, 'image'> & { image: GreyImage }, o: { timeoutMs: number; onTimeout: () => Error; stop?: AbortSignal }): Promise<AddonPass> {
    if (this.closed) throw new Error('OCR engine terminated');
    const id = this.nextId++;
    const { width, height, data } = args.image;
    const file = await this.writePage(id, data);
    try {
      return await this.send(id, { ...args, image: { width, height, file } }, o);
    } finally {
      await rm(file, { force: true });
    }
  }

  /** Writes a page's pixels to the first place that takes them (memory, else disk); returns the file. */
  private async writePage(id: number, data: Uint8Array): Promise<string> {
    const bases = this.opts.pageFolderBases ?? pageFolderBases();
    for (const [i, base] of bases.entries()) {
      let file: string | undefined;
      try {
        if (!this.removedAtExit) (process.once('exit', this.removeFolders), (this.removedAtExit = true));
        const folder = this.folders.get(base) ?? this.folders.set(base, makePageFolder(base)).get(base)!;
        file = path.join(folder, `page-${id}.grey`);
        await writeFile(file, data, { mode: 0o600 });
        return file;
      } catch (err) {
        // close() removed the folders meanwhile.
        if (this.closed) throw new Error('OCR engine terminated');
        // Full (ENOSPC) or not writable here: what was written goes, the next place is tried.
        if (file) await rm(file, { force: true });
        if (i === bases.length - 1) throw new Error(`a page for the native OCR process could not be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
    }
    throw new Error('no folder for native OCR pages');
  }

  private send(id: number, args: HostPassArgs, o: { timeoutMs: number; onTimeout: () => Error; stop?: AbortSignal }): Promise<AddonPass> {
    if (this.closed) return Promise.reject(new Error('OCR engine terminated'));
    // Stopped while its file was written: an abort listener added now would never hear it.
    if (o.stop?.aborted) return Promise.reject(o.stop.reason);
    const child = this.start();
    return new Promise<AddonPass>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(id)?.reject(o.onTimeout());
        child.kill('SIGKILL');
      }, o.timeoutMs);
      const p: Pending = { child, resolve, reject, timer, stop: o.stop };
      if (o.stop) {
        p.onStop = () => child.connected && child.send({ id, op: 'stop' } satisfies HostRequest);
        o.stop.addEventListener('abort', p.onStop, { once: true });
      }
      this.pending.set(id, p);
      child.ref();
      (child.channel as { ref?: () => void } | undefined)?.ref?.();
      child.send({ id, op: 'pass', args } satisfies HostRequest, (err) => {
        if (err) this.settle(id)?.reject(new Error(`the native OCR process could not be given the page: ${err.message}`));
      });
    });
  }

  /** Ends the process; passes still running fail. */
  close(): void {
    this.closed = true;
    this.child?.kill('SIGKILL');
    this.removeFolders();
    if (this.removedAtExit) process.removeListener('exit', this.removeFolders);
  }

  /** Takes a pass off the books (once), with its timer and listener; undefined if already settled. */
  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (p.onStop) p.stop?.removeEventListener('abort', p.onStop);
    if (![...this.pending.values()].some((x) => x.child === p.child)) {
      // Nothing left for it to do: a CLI command or test does not stay alive for it.
      p.child.unref();
      (p.child.channel as { unref?: () => void } | undefined)?.unref?.();
    }
    return p;
  }

  private start(): ChildProcess {
    if (this.child) return this.child;
    const { file, execArgv } = hostEntry();
    // OMP_THREAD_LIMIT: one thread a pass, read by the library when it loads (tesseract-addon.ts).
    const child = fork(file, [String(this.opts.threads)], {
      execArgv,
      env: { ...process.env, OMP_THREAD_LIMIT: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    child.on('message', (m: HostResponse) => {
      const p = this.settle(m.id);
      if (!p) return;
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(m.error));
    });
    const ended = (why: string) => {
      if (this.child === child) this.child = undefined;
      const mine = [...this.pending.entries()].filter(([, p]) => p.child === child);
      if (mine.length && !this.closed) this.opts.onCrash?.(why, mine.length);
      for (const [id] of mine) {
        this.settle(id)?.reject(new Error(this.closed ? 'OCR engine terminated' : `the native OCR process ended (${why}) while reading this page`));
      }
    };
    child.on('exit', (code, signal) => ended(signal ?? `exit code ${code}`));
    child.on('error', (err) => {
      ended(err.message);
      child.kill('SIGKILL');
    });
    child.unref();
    (child.channel as { unref?: () => void } | undefined)?.unref?.();
    return child;
  }
}

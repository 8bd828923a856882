/**
 * A few worker threads for CPU-bound work the event loop must not wait on. pdfjs renders a page
 * in JavaScript, in one piece: ~0.7 s of an A4 page at 300 dpi during which an embedded
 * instance answered no request at all (not the UI, not /api/health).
 *
 * Calls go by id and their results come back transferred, not copied. A caller that keeps state
 * in a thread (an open PDF) pins one and calls it alone. A thread is referenced only while it has
 * calls pending (so a CLI command never stays alive for it, nor exits under a pending call); it
 * stays warm between calls (pdfjs and ZXing loaded, their code compiled hot), or ends after a quiet
 * spell where the pool is given one. A thread that dies fails its pending calls with the reason, and the
 * next call starts a new one; a call past its deadline ends its thread, which is stuck.
 *
 * The worker side is `serveThread()` in the entry module given to the pool.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData, type Transferable } from 'node:worker_threads';
import { AppError, Invalid } from '../errors.js';
import { lowerThisThread, readingNice } from './background-priority.js';

/** What a thread answers: the value, and which of its buffers move rather than copy. */
export type ThreadResult = { value: unknown; transfer?: Transferable[] };
export type ThreadHandlers = Record<string, (args: any) => ThreadResult | Promise<ThreadResult>>;

type Request = { id: number; op: string; args: unknown };
type SentError = { name: string; message: string; status?: number; code?: string; details?: unknown };
type Response = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SentError };

/** The same error on this side: typed errors keep their status, code and details. */
function received(e: SentError): Error {
  if (e.status === 400 && e.code) return new Invalid(e.message, e.details, e.code);
  if (e.status !== undefined && e.code) return new AppError(e.status, e.code, e.message, e.details);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

/**
 * Answers a pool's calls in a worker thread, one at a time, in the order they came.
 * @example serveThread({ async double(n: number) { return { value: n * 2 }; } });
 */
export function serveThread(handlers: ThreadHandlers): void {
  if (isMainThread || !parentPort) throw new Error('serveThread() runs in a worker thread');
  const nice = (workerData as { nice?: number } | undefined)?.nice;
  if (nice) lowerThisThread(nice);
  const port = parentPort;
  let queue = Promise.resolve();
  port.on('message', (req: Request) => {
    queue = queue.then(async () => {
      try {
        const handler = handlers[req.op];
        if (!handler) throw new Error(`no such operation: ${req.op}`);
        const { value, transfer } = await handler(req.args);
        port.postMessage({ id: req.id, ok: true, value } satisfies Response, transfer ?? []);
      } catch (err) {
        const e = err as Error & Partial<AppError>;
        const error: SentError = err instanceof AppError
          ? { name: e.name, message: e.message, status: e.status, code: e.code, details: e.details }
          : { name: e?.name ?? 'Error', message: e?.message ?? String(err) };
        port.postMessage({ id: req.id, ok: false, error } satisfies Response);
      }
    });
  });
}

type Pending = { op: string; resolve(v: unknown): void; reject(e: Error): void; timeoutMs?: number; onTimeout?: () => Error; timer?: NodeJS.Timeout };

class Thread {
  readonly worker: Worker;
  /** In the order sent, which is the order the thread answers them in (serveThread). */
  readonly pending = new Map<number, Pending>();
  pins = 0;
  ended = false;
  idle?: NodeJS.Timeout;

  constructor(worker: Worker, private readonly onEnd: (t: Thread) => void) {
    this.worker = worker;
    worker.unref();
    worker.on('message', (res: Response) => {
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      clearTimeout(p.timer);
      this.settled();
      if (res.ok) p.resolve(res.value);
      else p.reject(received(res.error));
    });
    worker.on('error', (err) => this.end(new Error(`the worker thread failed: ${err.message}`)));
    worker.on('exit', (code) => this.end(new Error(`the worker thread stopped (exit code ${code})`)));
  }

  get load(): number {
    return this.pins + this.pending.size;
  }

  call(id: number, op: string, args: unknown, transfer: Transferable[], timeoutMs: number | undefined, onTimeout?: () => Error): Promise<unknown> {
    if (this.ended) return Promise.reject(new Error('the worker thread has stopped'));
    return new Promise((resolve, reject) => {
      this.pending.set(id, { op, resolve, reject, timeoutMs, onTimeout });
      this.worker.ref();
      this.worker.postMessage({ id, op, args } satisfies Request, transfer);
      this.armFirst();
    });
  }

  /**
   * A call's deadline runs from when the thread starts it, after the calls before it: the first
   * pending call is the one running. One past its deadline is stuck in the thread, and only
   * ending the thread stops it.
   */
  private armFirst(): void {
    const first = this.pending.entries().next();
    if (first.done) return;
    const [id, p] = first.value;
    if (p.timeoutMs === undefined || p.timer) return;
    p.timer = setTimeout(() => {
      this.pending.delete(id);
      p.reject(p.onTimeout?.() ?? new Error(`${p.op} took longer than ${p.timeoutMs} ms`));
      this.end(new Error(`the worker thread was stopped: ${p.op} took longer than ${p.timeoutMs} ms`));
    }, p.timeoutMs);
  }

  /** No call pending: the process need not wait for this thread. */
  settled(): void {
    if (this.pending.size === 0) this.worker.unref();
    else this.armFirst();
  }

  end(reason: Error): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.idle);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(reason);
    }
    this.pending.clear();
    void this.worker.terminate();
    this.onEnd(this);
  }
}

/** A thread pinned to one caller, which calls it and releases it when done. */
export type PinnedThread = {
  /** Runs `op` in the thread; `timeoutMs` (from when the thread starts it) ends the thread when it passes (the error from `onTimeout`). */
  call<T>(op: string, args?: unknown, opts?: { transfer?: Transferable[]; timeoutMs?: number; onTimeout?: () => Error }): Promise<T>;
  release(): void;
};

export type ThreadPoolOptions = {
  /** Threads at most; callers beyond share them (calls to one thread run one at a time). Default: helperThreads(). */
  size?: number;
  /** Run at the reading nice value (background-priority.ts): requests of the process get a core first. */
  background?: boolean;
  /** A thread with no caller ends after this long; by default it stays (as the same work in the main thread kept its modules loaded). */
  idleMs?: number;
};

/**
 * The default pool size of the service's helper threads (rendering, codes, pixels): one per two
 * cores, at most four. OCR's workers take the other cores.
 */
export function helperThreads(cores = os.availableParallelism()): number {
  return Math.max(1, Math.min(4, Math.floor(cores / 2)));
}

/**
 * Room for `length` pixels in memory every thread of the process reads (a SharedArrayBuffer):
 * a page made in it goes to the threads that read it (orientation, bands, codes) as it is.
 * Copying a 300 dpi page for each of them cost 35-70 ms of the event loop apiece here, most of it
 * the first touch of fresh memory. Threads only ever read such a page; each makes its own output.
 * @example const grey = sharedPixels(width * height);
 */
export function sharedPixels(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length));
}

/**
 * Bytes every thread can read without a copy of its own (as sharedPixels): those already in
 * shared memory as they are, any others copied there once. A file read page by page in a thread
 * goes there once, not once a page, and nothing moved into a thread counts against a heap.
 * @example const file = sharedBytes(upload); for (const n of pages) await pool.run('decode', { bytes: file, pageNo: n });
 */
export function sharedBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const shared = sharedPixels(bytes.byteLength);
  shared.set(bytes);
  return shared;
}

/**
 * An image's pixels as a thread is given them, with what to `transfer`: pixels in shared memory
 * (sharedPixels) as they are, nothing moved; any others as a copy of exactly them, moved (the
 * caller keeps its image, and a view into a larger buffer does not clone that whole buffer).
 * @example const { image, transfer } = movableImage(page); await pool.run('read', { image }, { transfer });
 */
export function movableImage(img: { width: number; height: number; data: Uint8Array | Uint8ClampedArray }): {
  image: { width: number; height: number; data: Uint8Array };
  transfer: ArrayBuffer[];
} {
  if (img.data.buffer instanceof SharedArrayBuffer) {
    return { image: { width: img.width, height: img.height, data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength) }, transfer: [] };
  }
  const data = new Uint8Array(img.data);
  return { image: { width: img.width, height: img.height, data }, transfer: [data.buffer] };
}

/**
 * A pool of worker threads running `entry` (the compiled `.js` beside this module's; from source
 * under tsx, its `.ts` twin, loaded through tsx in the thread).
 *
 *     const pool = new ThreadPool(new URL('./pdf-render.worker.js', import.meta.url), { size: 1 });
 *     const t = pool.pin();
 *     try { await t.call('open', { data }, { transfer: [data.buffer] }); } finally { t.release(); }
 */
export class ThreadPool {
  private readonly threads: Thread[] = [];
  private nextId = 1;

  constructor(
    private readonly entry: URL,
    private readonly opts: ThreadPoolOptions,
  ) {}

  /** The thread with the least work, started when every running one has work and there is room for one more. */
  pin(): PinnedThread {
    let t = this.threads.reduce<Thread | undefined>((best, x) => (best && best.load <= x.load ? best : x), undefined);
    if (!t || (t.load > 0 && this.threads.length < Math.max(1, this.opts.size ?? helperThreads()))) t = this.start();
    const thread = t;
    clearTimeout(thread.idle);
    thread.pins++;
    let released = false;
    return {
      call: <T>(op: string, args?: unknown, o: { transfer?: Transferable[]; timeoutMs?: number; onTimeout?: () => Error } = {}) =>
        thread.call(this.nextId++, op, args, o.transfer ?? [], o.timeoutMs, o.onTimeout) as Promise<T>,
      release: () => {
        if (released) return;
        released = true;
        thread.pins--;
        if (thread.pins === 0 && !thread.ended && this.opts.idleMs !== undefined) {
          clearTimeout(thread.idle);
          thread.idle = setTimeout(() => thread.end(new Error('the worker thread ended when idle')), this.opts.idleMs);
          thread.idle.unref();
        }
      },
    };
  }

  /**
   * One call on the least busy thread, pinned only for that call.
   * @example const hits = await pool.run<Hit[]>('read', { image }, { transfer });
   */
  async run<T>(op: string, args?: unknown, o?: { transfer?: Transferable[]; timeoutMs?: number; onTimeout?: () => Error }): Promise<T> {
    const thread = this.pin();
    try {
      return await thread.call<T>(op, args, o);
    } finally {
      thread.release();
    }
  }

  /** Threads running now (for tests and health). */
  get running(): number {
    return this.threads.length;
  }

  /** Ends every thread; pending calls fail. */
  async close(): Promise<void> {
    for (const t of [...this.threads]) t.end(new Error('the worker thread pool was closed'));
  }

  private start(): Thread {
    const t = new Thread(spawn(this.entry, { nice: this.opts.background ? readingNice() : 0 }), (ended) => {
      const i = this.threads.indexOf(ended);
      if (i >= 0) this.threads.splice(i, 1);
    });
    this.threads.push(t);
    return t;
  }
}

/** The entry as compiled; from source (tsx), its `.ts` loaded through tsx's API in the new thread. */
function spawn(entry: URL, data: { nice: number }): Worker {
  const js = fileURLToPath(entry);
  if (existsSync(js)) return new Worker(entry, { workerData: data });
  const ts = js.replace(/\.js$/, '.ts');
  if (!existsSync(ts)) throw new Error(`worker thread entry not found: ${js}`);
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `const { tsImport } = await import(${JSON.stringify(api)}); await tsImport(${JSON.stringify(ts)}, ${JSON.stringify(entry.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData: data });
}

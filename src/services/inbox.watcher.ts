import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { customersRepository } from '../db/customers.repository.js';
import type { Database } from '../db/database.js';
import type { Principal } from '../domain/roles.js';
import { AppError } from '../errors.js';
import type { IntakeService } from './intake.service.js';

const SCANNER: Principal = { id: 'inbox', name: 'Scanner inbox', roles: ['mailroom'] };

export type InboxOptions = {
  /** The folder to watch (a network share mounted here works: it is polled, not watched by events); default `<data dir>/inbox`. */
  dir?: string;
  /** How long a file's size and mtime must stay unchanged before it is taken, on top of two equal polls. */
  stableMs?: number;
  /** Milliseconds now; tests pass their own. */
  now?: () => number;
  /**
   * Other processes poll the same folder (`DOSSIER_ROLE=worker`, issue #13): a file in
   * `.processing/` may be one they are taking right now, so only claims older than
   * `staleClaimMs` go back to the inbox, at start and on every poll (a peer may have died).
   */
  shared?: boolean;
  /** Age of a claim after which it counts as left by a crashed process (shared folders only); default 15 minutes. */
  staleClaimMs?: number;
};

/**
 * Watches `<data dir>/inbox` (or a configured folder) for scanner drop-off and feeds files to the
 * same intake as uploads. The folder is polled, never watched through file events: SMB and NFS
 * shares do not deliver those. A file is taken only once its size and mtime stopped changing
 * between two polls and for at least `stableMs` (scanners and network copies write slowly). It
 * is moved to `.processing/` before intake, so a crash cannot take it twice and a restart puts it
 * back; refused files go to `rejected/` with a `.error.txt` beside them.
 * A customer number in the file name (`KL-000123_offerte.pdf`) links the document when known.
 */
export class InboxWatcher {
  private readonly seen = new Map<string, { sig: string; since: number }>();
  private readonly stableMs: number;
  private readonly now: () => number;
  private readonly shared: boolean;
  private readonly staleClaimMs: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  readonly dir: string;

  constructor(
    dataDir: string,
    private readonly intake: IntakeService,
    private readonly db: Database,
    private readonly customerPattern: RegExp,
    private readonly logger?: Logger,
    private readonly pollMs = 2000,
    opts: InboxOptions = {},
  ) {
    this.dir = opts.dir ?? path.join(dataDir, 'inbox');
    this.stableMs = opts.stableMs ?? 0;
    this.now = opts.now ?? Date.now;
    this.shared = opts.shared ?? false;
    this.staleClaimMs = opts.staleClaimMs ?? 15 * 60_000;
  }

  private get processing() {
    return path.join(this.dir, '.processing');
  }
  private get rejected() {
    return path.join(this.dir, 'rejected');
  }

  async start(): Promise<void> {
    await mkdir(this.processing, { recursive: true });
    await mkdir(this.rejected, { recursive: true });
    // Files a crash left half-taken go back to the inbox.
    await this.returnStaleClaims();
    this.timer = setInterval(() => void this.pollOnce(), this.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass over the inbox; returns the files taken. Exposed for tests and the CLI. */
  pollOnce(): Promise<void> {
    this.running ??= this.scan().finally(() => (this.running = null));
    return this.running;
  }

  /**
   * Puts claims a crashed process left in `.processing/` back. Alone on the folder every claim is
   * such a leftover; shared, only one whose rename (ctime) is older than `staleClaimMs`: taking a
   * file is seconds, and should a slow take be returned anyway, intake knows the bytes by their
   * hash and answers with the same document.
   */
  private async returnStaleClaims(): Promise<void> {
    for (const name of await readdir(this.processing).catch(() => [] as string[])) {
      const claimed = path.join(this.processing, name);
      if (this.shared) {
        const st = await stat(claimed).catch(() => null);
        if (!st || Date.now() - st.ctimeMs < this.staleClaimMs) continue;
      }
      await rename(claimed, path.join(this.dir, name)).catch(() => undefined);
    }
  }

  private async scan(): Promise<void> {
    if (this.shared) await this.returnStaleClaims();
    const entries = await readdir(this.dir, { withFileTypes: true }).catch(() => []);
    const present = new Set<string>();
    for (const e of entries) {
      if (!e.isFile() || e.name.startsWith('.')) continue;
      present.add(e.name);
      const full = path.join(this.dir, e.name);
      const st = await stat(full).catch(() => null);
      if (!st) continue;
      const sig = `${st.size}:${st.mtimeMs}`;
      const before = this.seen.get(e.name);
      if (before?.sig !== sig) {
        this.seen.set(e.name, { sig, since: this.now() }); // changed since the last look: wait until it settles
        continue;
      }
      if (this.now() - before.since < this.stableMs) continue;
      this.seen.delete(e.name);
      await this.take(e.name, st.size);
    }
    for (const name of this.seen.keys()) if (!present.has(name)) this.seen.delete(name);
  }

  private async take(name: string, size: number): Promise<void> {
    const claimed = path.join(this.processing, name);
    // On a shared folder another instance (or the scanner deleting it) may have been first: not ours then.
    if (!(await rename(path.join(this.dir, name), claimed).then(() => true, () => false))) return;
    try {
      const m = new RegExp(this.customerPattern.source, 'i').exec(name);
      const customerId = m && (await customersRepository.get(this.db, m[0].toUpperCase())) ? m[0].toUpperCase() : null;
      const r = await this.intake.accept({ path: claimed, originalName: name, size }, { customerId }, SCANNER, 'inbox');
      await rm(claimed, { force: true });
      this.logger?.info({ file: name, document: r.document.id, duplicate: r.duplicate }, 'inbox file taken');
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        await rename(claimed, path.join(this.rejected, name));
        await writeFile(path.join(this.rejected, `${name}.error.txt`), `${err.code}: ${err.message}\n`);
        this.logger?.warn({ file: name, code: err.code }, 'inbox file rejected');
      } else {
        // Not the file's fault (disk, database): put it back and try again on a later poll.
        await rename(claimed, path.join(this.dir, name)).catch(() => undefined);
        this.logger?.error({ err, file: name }, 'inbox file could not be taken; will retry');
      }
    }
  }
}

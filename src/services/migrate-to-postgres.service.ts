import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { CheckpointLog } from '../adapters/audit/checkpoint-log.js';
import { objectKey, type ObjectStore } from '../adapters/object-store/object-store.js';
import type { Checkpoint } from '../domain/audit-chain.js';
import { planCopy, type CopyPlan, type CopyStep } from '../domain/copy-plan.js';
import { documentsRepository } from '../db/documents.repository.js';
import { migrate, seededTables } from '../db/migrate.js';
import { objectRefsRepository } from '../db/object-refs.repository.js';
import { pgCopyTargetRepository as target } from '../db/pg-copy-target.repository.js';
import type { PgDatabase } from '../db/pg-database.js';
import { reindexRepository } from '../db/reindex.repository.js';
import { searchRepository } from '../db/search.repository.js';
import type { SqliteSource, SourceTable } from '../db/sqlite-source.js';
import { AuditService, type VerifyResult } from './audit.service.js';
import { nowIso, systemClock, type Clock } from './clock.js';

/** The migration cannot start or go on; the message says why and what to do. */
export class MigrationRefused extends Error {}

export type MigrationPhase = 'rows' | 'links' | 'search' | 'objects' | 'checkpoints' | 'verify-rows' | 'verify-objects' | 'verify-audit';
export type MigrationProgress = (phase: MigrationPhase, done: number, total: number, detail?: string) => void;

export type MigrationDeps = {
  source: SqliteSource;
  target: PgDatabase;
  /** The data dir's local object store, where the source's objects are (`<data dir>/objects`). */
  sourceObjectsRoot: string;
  sourceStore: ObjectStore;
  /** Where the target's objects go; the same store as the source when the target keeps local objects. */
  targetStore: ObjectStore;
  sameStore: boolean;
  sourceCheckpoints: CheckpointLog;
  /** null when the target uses the same checkpoint file as the source. */
  targetCheckpoints: CheckpointLog | null;
  /** The key the source's audit log was sealed with (null: never sealed). */
  auditKey: Buffer | null;
  /** The PostgreSQL schema scripts, to learn which tables they fill themselves. */
  targetSchemaSql: string;
  clock?: Clock;
  batchSize?: number;
  onProgress?: MigrationProgress;
  /** Aborting stops between batches; everything done so far is kept and a second run continues. */
  signal?: AbortSignal;
};

export type MigrationReport = {
  alreadyDone: boolean;
  /** After success: the embedded database was written since, so the target lacks those changes. */
  sourceChangedSince?: boolean;
  resumed: boolean;
  tables: { table: string; source: number; target: number }[];
  objects: { referenced: number; copied: number; missingInSource: string[]; badInTarget: string[] };
  checkpoints: { copied: number; missing: boolean };
  audit: VerifyResult | null;
  /** Documents in the full-text index: the source's FTS5 entries and the rebuilt index on the target. */
  search: { source: number; target: number } | null;
  jobs: { kind: string; status: string; n: number }[];
  ok: boolean;
  finishedAt: string | null;
};

const OBJECT_CONCURRENCY = 4;

/**
 * Copies an embedded instance (SQLite file + local objects) into PostgreSQL and an object store,
 * resumably (issue #13): tables in batches keyed by rowid, each batch committed with its cursor;
 * objects in hash order with a cursor; signed audit checkpoints by their signature; then checks
 * row counts, every object's checksum and the audit chain on the target. A second run continues
 * where the first stopped; after success it does nothing.
 */
export class MigrateToPostgresService {
  private readonly clock: Clock;
  constructor(private readonly d: MigrationDeps) {
    this.clock = d.clock ?? systemClock;
  }

  private progress(phase: MigrationPhase, done: number, total: number, detail?: string) {
    this.d.onProgress?.(phase, done, total, detail);
  }

  private checkAbort() {
    if (this.d.signal?.aborted) throw new MigrationInterrupted();
  }

  /** Checks before the first row is written: how the target sorts, whose it is, whether the schemas fit, whether it is empty. */
  async prepare(sourceTables: SourceTable[]): Promise<{ plan: CopyPlan; state: Awaited<ReturnType<typeof target.state>>; sourceId: string; fingerprint: string }> {
    const { source, target: db } = this.d;
    const collation = await target.collation(db);
    if (!collation.byteOrder) {
      // Ids and cursors are compared as text: under a language collation their order differs from SQLite's and pages skip rows.
      throw new MigrationRefused(
        `The target database sorts text by the ${collation.name} collation; Dossierlink needs byte order as in SQLite. Create the database with: CREATE DATABASE <name> TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`,
      );
    }
    const sourceId = await source.identity();
    const fingerprint = await source.fingerprint(sourceTables);
    const state = await target.state(db);
    if (state && state.source_id !== sourceId) {
      throw new MigrationRefused(`The target database holds a migration of another instance (${state.source_file}, started ${state.started_at}): use an empty database.`);
    }
    if (state && !state.finished_at && state.fingerprint !== fingerprint) {
      throw new MigrationRefused(
        `The embedded database changed since this migration started (${state.started_at}): the copy would mix two states. Drop and recreate the target database, then migrate again with the instance stopped.`,
      );
    }
    // The schema is created only now that the target is known to be fit and not someone else's.
    await migrate(db).catch((err: Error) => {
      throw new MigrationRefused(`Cannot create the Dossierlink schema in the target database: ${err.message}`);
    });
    const seeded = seededTables(this.d.targetSchemaSql);
    const plan = planCopy(sourceTables, await target.tables(db), await target.foreignKeys(db), seeded);
    if (plan.problems.length) {
      throw new MigrationRefused(`The PostgreSQL schema does not match the embedded database (is this Dossierlink's version the one that made the data dir?):\n  ${plan.problems.join('\n  ')}`);
    }
    if (!state) {
      const filled: string[] = [];
      for (const t of await target.tables(db)) {
        if (seeded.has(t.name)) continue;
        if ((await target.count(db, t.name)) > 0) filled.push(t.name);
      }
      if (filled.length) {
        throw new MigrationRefused(
          `The target database is not empty (rows in ${filled.slice(0, 5).join(', ')}${filled.length > 5 ? ', …' : ''}): it belongs to another instance or was started already. Migrate into a new, empty database.`,
        );
      }
    }
    return { plan, state, sourceId, fingerprint };
  }

  async run(): Promise<MigrationReport> {
    const { source, target: db } = this.d;
    const sourceTables = await source.tables();
    const { plan, state, sourceId, fingerprint } = await this.prepare(sourceTables);
    if (state?.finished_at) {
      // Someone started the old instance after the migration: what it wrote since is not in the target.
      const changed = state.fingerprint !== fingerprint;
      return { ...(await this.emptyReport()), alreadyDone: true, resumed: true, ok: !changed, sourceChangedSince: changed, finishedAt: state.finished_at };
    }
    await target.ensureState(db);
    if (!state) await db.tx((q) => target.start(q, { source_id: sourceId, source_file: path.resolve(source.file), fingerprint, started_at: nowIso(this.clock) }, plan.steps.map((s) => s.table)));
    await this.copyRows(plan);
    await target.moveIdentities(db, plan.steps.map((s) => s.table), await source.autoincrements());
    await target.rowsDone(db, nowIso(this.clock));
    await this.rebuildSearch();
    const objects = await this.copyObjects();
    const checkpoints = await this.copyCheckpoints();
    const report = await this.verify(plan, objects);
    report.resumed = state !== null;
    report.checkpoints = checkpoints;
    if (report.ok) {
      report.finishedAt = nowIso(this.clock);
      await target.finish(db, report.finishedAt);
    }
    return report;
  }

  private async emptyReport(): Promise<MigrationReport> {
    return { alreadyDone: false, resumed: false, tables: [], objects: { referenced: 0, copied: 0, missingInSource: [], badInTarget: [] }, checkpoints: { copied: 0, missing: false }, audit: null, search: null, jobs: [], ok: false, finishedAt: null };
  }

  private async copyRows(plan: CopyPlan): Promise<void> {
    const { source, target: db } = this.d;
    const progress = new Map((await target.progress(db)).map((p) => [p.table_name, p]));
    const totals = new Map<string, number>();
    for (const s of plan.steps) totals.set(s.table, await source.count(s.table));
    const total = [...totals.values()].reduce((a, b) => a + b, 0);
    let done = [...progress.values()].reduce((a, p) => a + Number(p.copied), 0);
    this.progress('rows', done, total);
    for (const step of plan.steps) {
      const p = progress.get(step.table);
      if (!p || p.phase !== 'rows') continue;
      let after = Number(p.after_rowid);
      const size = batchSize(step, this.d.batchSize);
      for (;;) {
        this.checkAbort();
        const rows = await source.batch(step.table, step.columns, after, size);
        const last = rows.length ? Number(rows[rows.length - 1]!.__rowid) : after;
        const finished = rows.length < size;
        await wrapBatchError(step, after, () => target.insertBatch(db, step, rows, last, finished));
        after = last;
        done += rows.length;
        this.progress('rows', done, total, step.table);
        if (finished) break;
      }
    }
    const links = plan.steps.filter((s) => s.deferred.length);
    const linkProgress = new Map((await target.progress(db)).map((p) => [p.table_name, p]));
    for (const step of links) {
      const p = linkProgress.get(step.table);
      if (!p || p.phase !== 'links') continue;
      let after = Number(p.after_rowid);
      let linked = 0;
      const cols = [...new Set([...step.primaryKey, ...step.deferred])];
      for (;;) {
        this.checkAbort();
        const rows = await source.batch(step.table, cols, after, 1000);
        const last = rows.length ? Number(rows[rows.length - 1]!.__rowid) : after;
        const finished = rows.length < 1000;
        await wrapBatchError(step, after, () => target.linkBatch(db, step, rows, last, finished));
        after = last;
        linked += rows.length;
        this.progress('links', linked, Math.max(linked, totals.get(step.table) ?? 0), step.table);
        if (finished) break;
      }
    }
  }

  /**
   * The full-text index is the engine's own (FTS5 there, tsvector here), so it is built anew
   * from the copied titles and page texts, in rowid batches, each committed with its cursor.
   */
  private async rebuildSearch(): Promise<void> {
    const db = this.d.target;
    const state = await target.state(db);
    if (state?.search_done) return;
    const total = await reindexRepository.countReindexable(db);
    let after = Number(state?.search_after ?? 0);
    let done = 0;
    this.progress('search', 0, total);
    for (;;) {
      this.checkAbort();
      const docs = await reindexRepository.batchAfter(db, after, 200);
      if (docs.length === 0) break;
      const last = docs[docs.length - 1]!.rowid;
      await db.tx(async (q) => {
        const entries = [];
        for (const d of docs) entries.push({ id: d.id, title: d.title, text: (await documentsRepository.pages(q, d.id)).map((p) => p.text).join('\n\n') });
        await searchRepository.indexMany(q, entries);
        await target.searchAfter(q, last);
      });
      after = last;
      done += docs.length;
      this.progress('search', done, Math.max(total, done));
    }
    await target.searchDone(db);
  }

  /** Every object a row refers to, into the target store under the same key, checked against its hash on the way. */
  private async copyObjects(): Promise<{ referenced: string[]; copied: number; missingInSource: string[] }> {
    const { source, target: db } = this.d;
    const referenced = [...(await objectRefsRepository.all(source))].sort();
    const state = await target.state(db);
    const todo = referenced.filter((h) => h > (state?.objects_after ?? ''));
    const missingInSource: string[] = [];
    let copied = 0;
    let done = referenced.length - todo.length;
    this.progress('objects', done, referenced.length);
    for (let i = 0; i < todo.length; i += OBJECT_CONCURRENCY) {
      this.checkAbort();
      const chunk = todo.slice(i, i + OBJECT_CONCURRENCY);
      await Promise.all(
        chunk.map(async (sha) => {
          const file = path.join(this.d.sourceObjectsRoot, objectKey(sha));
          const local = await stat(file).catch(() => null);
          if (!local) {
            // An instance that kept its objects in the target bucket already (SQLite with S3): nothing to copy, the checksum is still verified.
            if (!this.d.sameStore && (await this.d.targetStore.stat(sha))) return;
            missingInSource.push(sha);
            return;
          }
          if (this.d.sameStore) return;
          const there = await this.d.targetStore.stat(sha);
          if (there && there.size === local.size) return;
          // putFile hashes the bytes it sends and refuses them when they do not match the key.
          const put = await this.d.targetStore.putFile(file);
          if (put.sha256 !== sha) throw new MigrationRefused(`object ${sha} in ${this.d.sourceObjectsRoot} does not have that hash (it is damaged): restore it from a backup first`);
          copied++;
        }),
      );
      done += chunk.length;
      await target.objectsAfter(db, chunk[chunk.length - 1]!);
      this.progress('objects', done, referenced.length);
    }
    return { referenced, copied, missingInSource };
  }

  /** The signed checkpoints, into the log the target uses; one already there (same signature) is not written twice. */
  private async copyCheckpoints(): Promise<{ copied: number; missing: boolean }> {
    const from = await this.d.sourceCheckpoints.readAll();
    if (from === 'missing') return { copied: 0, missing: true };
    if (!this.d.targetCheckpoints) return { copied: 0, missing: false };
    const there = await this.d.targetCheckpoints.readAll();
    const have = new Set(there === 'missing' ? [] : there.map((c) => c?.mac));
    const todo = from.filter((c): c is Checkpoint => c !== null && !have.has(c.mac));
    let copied = 0;
    for (const c of todo) {
      this.checkAbort();
      await this.d.targetCheckpoints.append(c);
      copied++;
      this.progress('checkpoints', copied, todo.length);
    }
    return { copied, missing: false };
  }

  private async verify(plan: CopyPlan, objects: { referenced: string[]; copied: number; missingInSource: string[] }): Promise<MigrationReport> {
    const { source, target: db } = this.d;
    const tables: MigrationReport['tables'] = [];
    for (const [i, s] of plan.steps.entries()) {
      tables.push({ table: s.table, source: await source.count(s.table), target: await target.count(db, s.table) });
      this.progress('verify-rows', i + 1, plan.steps.length);
    }
    const badInTarget: string[] = [];
    const present = objects.referenced.filter((h) => !objects.missingInSource.includes(h));
    for (let i = 0; i < present.length; i += OBJECT_CONCURRENCY) {
      this.checkAbort();
      await Promise.all(
        present.slice(i, i + OBJECT_CONCURRENCY).map(async (sha) => {
          const hash = createHash('sha256');
          try {
            for await (const chunk of await this.d.targetStore.getStream(sha)) hash.update(chunk as Buffer);
            if (hash.digest('hex') !== sha) badInTarget.push(sha);
          } catch {
            badInTarget.push(sha);
          }
        }),
      );
      this.progress('verify-objects', Math.min(i + OBJECT_CONCURRENCY, present.length), present.length);
    }
    const seal = this.d.auditKey ? { key: this.d.auditKey, checkpoints: this.d.targetCheckpoints ?? this.d.sourceCheckpoints } : undefined;
    this.progress('verify-audit', 0, 1);
    const audit = await new AuditService(db, this.clock, seal).verify();
    this.progress('verify-audit', 1, 1);
    const jobs = await target.pendingJobs(db);
    const search = { source: await searchRepository.count(source).catch(() => 0), target: await searchRepository.count(db) };
    const ok = tables.every((t) => t.source === t.target) && badInTarget.length === 0 && objects.missingInSource.length === 0 && audit.ok;
    return {
      alreadyDone: false,
      resumed: false,
      tables,
      objects: { referenced: objects.referenced.length, copied: objects.copied, missingInSource: objects.missingInSource, badInTarget },
      checkpoints: { copied: 0, missing: false },
      audit,
      search,
      jobs,
      ok,
      finishedAt: null,
    };
  }
}

/** Stopped on request (Ctrl-C) between two batches; a second run continues. */
export class MigrationInterrupted extends Error {
  constructor() {
    super('interrupted: everything copied so far is kept; run the same command again to continue');
  }
}

/** Rows per batch: as asked, but within PostgreSQL's 65,535 parameters per statement. */
function batchSize(step: CopyStep, asked = 500): number {
  const perRow = step.columns.length + (step.copyRowid ? 1 : 0);
  return Math.max(1, Math.min(asked, Math.floor(30_000 / Math.max(1, perRow))));
}

async function wrapBatchError(step: CopyStep, after: number, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    throw new MigrationRefused(`copying ${step.table} (rows after rowid ${after}) failed: ${(err as Error).message}`);
  }
}

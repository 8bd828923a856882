import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { ObjectStore } from '../adapters/object-store/object-store.js';
import type { Database, Queryable } from '../db/database.js';
import { importsRepository, type ImportCounts, type ImportRow } from '../db/imports.repository.js';
import { releasePins, removeIfUnreferenced } from './object-guard.js';
import type { CustomerInput } from '../db/customers.repository.js';
import { newId } from '../domain/ids.js';
import type { Principal } from '../domain/roles.js';
import { Invalid, NotFound, UnsupportedMediaType } from '../errors.js';
import type { Job, JobQueuePort } from './job-queue.port.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';
import { recomputeRetentionForCustomer, triggerAttributesChanged } from './retention.service.js';
import {
  applyPatch,
  detectDelimiter,
  detectFormat,
  estimateRows,
  firstLine,
  mapHeader,
  readCsv,
  readNdjson,
  validateRecord,
  type CustomerPatch,
  type ImportFormat,
  type RawRecord,
  type RowError,
} from './import-records.js';

export const IMPORT_JOB = 'customer-import';
/** Files with more rows than this run as a job (202 + progress); smaller ones answer at once. */
export const INLINE_MAX_ROWS = 2000;
const BATCH = 500;
const MAX_ERRORS_KEPT = 1000;

function toImportView(r: ImportRow) {
  const errors = JSON.parse(r.errors) as RowError[];
  const dry = Boolean(r.dry_run);
  const verb = dry ? 'would be ' : '';
  return {
    id: r.id,
    status: r.status,
    dryRun: dry,
    format: r.format,
    file: { name: r.file_name, sha256: r.file_sha256, bytes: r.file_bytes },
    progress: { done: r.done_rows, total: Math.max(r.total_rows, r.done_rows) },
    totals: { rows: r.done_rows, created: r.created, updated: r.updated, unchanged: r.unchanged, failed: r.failed },
    summary:
      r.status === 'done'
        ? `${r.done_rows} row(s): ${r.created} ${verb}created, ${r.updated} ${verb}updated, ${r.unchanged} unchanged, ${r.failed} rejected${dry ? ' (dry run: nothing was written)' : ''}`
        : r.status === 'failed'
          ? `import failed: ${r.error}`
          : `${r.status}: ${r.done_rows} of about ${Math.max(r.total_rows, r.done_rows)} row(s)`,
    errors,
    errorsTruncated: r.failed > errors.length,
    error: r.error,
    jobId: r.job_id,
    createdBy: r.created_by,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}
export type ImportView = ReturnType<typeof toImportView>;

type Counts = ImportCounts;

/**
 * Batch import of customer master data from the CRM (CSV or JSON lines): upsert by customer
 * number, a validation report per row, good rows kept when others are bad, idempotent (a row that
 * changes nothing is `unchanged` and writes nothing), resumable (progress is committed with each
 * batch), and a dry run that only reports. Large files run as a job.
 */
export class ImportService {
  private readonly pattern: RegExp;

  constructor(
    private readonly db: Database,
    private readonly store: ObjectStore,
    private readonly queue: JobQueuePort,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    customerPattern: string,
    private readonly logger?: Logger,
  ) {
    this.pattern = new RegExp(`^(?:${customerPattern})$`);
  }

  /**
   * Registers an import of `bytes`. Small files are imported before this returns (`queued: false`);
   * large ones, or with `background`, are queued as a job to follow with `get(id)`.
   * File-level problems (unknown format, unknown columns) throw before anything is stored.
   */
  async submit(
    input: { bytes: Buffer; fileName: string | null; contentType?: string; dryRun: boolean; background?: boolean; onProgress?: (done: number, total: number) => void },
    actor: Principal,
  ): Promise<{ report: ImportView; queued: boolean }> {
    const format = detectFormat(input.contentType, input.fileName, input.bytes);
    if (!format) throw new UnsupportedMediaType('Send customers as text/csv or application/x-ndjson (JSON lines), or as a multipart `file`', { contentType: input.contentType });
    if (input.bytes.length === 0) throw new Invalid('The file is empty', undefined, 'empty_file');
    if (format === 'csv') {
      const { problems } = mapHeader(this.headings(input.bytes));
      if (problems.length) throw new Invalid(`The CSV header cannot be used: ${problems.join('; ')}`, { problems }, 'invalid_header');
    }
    const total = estimateRows(input.bytes, format);
    const sha256 = createHash('sha256').update(input.bytes).digest('hex');
    const stored = await this.store.putBuffer(input.bytes, { contentType: format === 'csv' ? 'text/csv' : 'application/x-ndjson' });
    const id = newId('imp', this.clock.now().getTime());
    const background = input.background ?? total > INLINE_MAX_ROWS;
    await this.db.tx(async (q) => {
      // The import's row refers to its file from this commit on: the write's pin can go.
      await releasePins(q, stored);
      await importsRepository.insert(q, {
        id,
        dry_run: input.dryRun ? 1 : 0,
        format,
        file_name: input.fileName,
        file_sha256: sha256,
        file_bytes: input.bytes.length,
        total_rows: total,
        created_by: actor.id,
        created_at: nowIso(this.clock),
      });
      if (background) {
        const job = await this.queue.enqueue(q, { kind: IMPORT_JOB, payload: { importId: id, actorId: actor.id }, idempotencyKey: `${IMPORT_JOB}:${id}`, maxAttempts: 3 });
        await importsRepository.setJob(q, id, job.id);
      }
    });
    if (background) return { report: await this.get(id), queued: true };
    return { report: await this.run(id, actor.id, { onProgress: input.onProgress, final: true }), queued: false };
  }

  private headings(bytes: Buffer): string[] {
    const line = firstLine(bytes);
    const delimiter = detectDelimiter(line);
    // The header is plain text in practice; quotes around headings are allowed.
    return line.split(delimiter).map((h) => h.trim().replace(/^"(.*)"$/, '$1').replace(/""/g, '"'));
  }

  /** The job handler: runs (or resumes) the import; the last failed attempt marks it failed. */
  async runJob(job: Job<{ importId: string; actorId: string }>, ctx: { signal: AbortSignal; progress(done: number, total: number): Promise<void> | void }): Promise<void> {
    await this.run(job.payload.importId, job.payload.actorId, { signal: ctx.signal, onProgress: (d, t) => void ctx.progress(d, t), final: job.attempts >= job.maxAttempts });
  }

  /**
   * Runs an import to its end, resuming after the rows a previous attempt committed. Each batch of
   * rows is one transaction together with the counters, so a crash never counts a row twice.
   */
  async run(id: string, actorId: string, opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void; final?: boolean } = {}): Promise<ImportView> {
    const row = await importsRepository.get(this.db, id);
    if (!row) throw new NotFound('import', id);
    if (row.status === 'done' || row.status === 'failed') return toImportView(row);
    await this.db.tx((q) => importsRepository.markRunning(q, id, nowIso(this.clock)));
    try {
      const bytes = await this.store.getBuffer(row.file_sha256);
      const counts: Counts = { done_rows: row.done_rows, created: row.created, updated: row.updated, unchanged: row.unchanged, failed: row.failed };
      const errors = JSON.parse(row.errors) as RowError[];
      const seen = new Map<string, number>();
      const total = Math.max(row.total_rows, row.done_rows);
      let index = 0;
      let batch: RawRecord[] = [];
      const flush = async () => {
        const fresh = batch;
        batch = [];
        if (fresh.length === 0) return;
        opts.signal?.throwIfAborted();
        await this.applyBatch(row, actorId, fresh, counts, errors, seen);
        opts.onProgress?.(counts.done_rows, Math.max(total, counts.done_rows));
      };
      for await (const rec of this.records(row.format, bytes)) {
        // Duplicate numbers are tracked over the whole file, also over rows a previous attempt did.
        if (index < counts.done_rows && 'values' in rec) this.noteSeen(rec, seen);
        index++;
        if (index <= counts.done_rows) continue;
        batch.push(rec);
        if (batch.length >= BATCH) await flush();
      }
      await flush();
      await this.db.tx((q) => importsRepository.markDone(q, id, nowIso(this.clock)));
      await this.forgetFile(row);
    } catch (err) {
      const message = (err as Error).message.slice(0, 500);
      if (opts.final && !opts.signal?.aborted) {
        await this.db.tx((q) => importsRepository.markFailed(q, id, message, nowIso(this.clock)));
        this.logger?.error({ import: id, err: { message } }, 'customer import failed');
      } else await this.db.tx((q) => importsRepository.requeue(q, id, message));
      throw err;
    }
    return this.get(id);
  }

  private records(format: ImportFormat, bytes: Buffer): AsyncIterable<RawRecord> | Iterable<RawRecord> {
    if (format === 'ndjson') return readNdjson(bytes);
    const headings = this.headings(bytes);
    return readCsv(bytes, mapHeader(headings).columns, detectDelimiter(firstLine(bytes)));
  }

  private noteSeen(rec: RawRecord, seen: Map<string, number>) {
    if ('values' in rec && typeof rec.values.id === 'string' && !seen.has(rec.values.id.trim())) seen.set(rec.values.id.trim(), rec.row);
  }

  private async applyBatch(imp: ImportRow, actorId: string, recs: RawRecord[], counts: Counts, errors: RowError[], seen: Map<string, number>) {
    const rowErrors: RowError[] = [];
    const valid: { row: number; patch: CustomerPatch }[] = [];
    for (const rec of recs) {
      if ('error' in rec) {
        rowErrors.push(rec.error);
        continue;
      }
      const { patch, errors: e } = validateRecord(rec.values, this.pattern, rec.row);
      if (!patch) {
        rowErrors.push(...e);
        // One row, one verdict: a row with three bad fields counts once as rejected.
        continue;
      }
      const first = seen.get(patch.id);
      if (first !== undefined) {
        rowErrors.push({ row: rec.row, field: 'id', message: `${patch.id} is also on row ${first}; a customer may appear once per file`, customerId: patch.id });
        continue;
      }
      seen.set(patch.id, rec.row);
      valid.push({ row: rec.row, patch });
    }
    const rejectedRows = new Set(rowErrors.map((e) => e.row));
    const work = async (q: Queryable, write: boolean) => {
      const ids = valid.map((v) => v.patch.id);
      const existing = new Map((await importsRepository.customers(q, ids)).map((c) => [c.id, c]));
      const merged = new Map((await importsRepository.merged(q, ids)).map((m) => [m.merged_id, m.into_id]));
      const now = nowIso(this.clock);
      const local = { created: 0, updated: 0, unchanged: 0 };
      const writes: { id: string; row: number; input: CustomerInput; created: boolean; triggersChanged: boolean }[] = [];
      for (const { row, patch } of valid) {
        const into = merged.get(patch.id);
        if (into) {
          rowErrors.push({ row, field: 'id', message: `${patch.id} was merged into ${into}; use the surviving number`, customerId: patch.id });
          rejectedRows.add(row);
          continue;
        }
        const before = existing.get(patch.id);
        const result = applyPatch(before, patch);
        if ('error' in result) {
          rowErrors.push({ ...result.error, row });
          rejectedRows.add(row);
          continue;
        }
        if (!result.changed) {
          local.unchanged++;
          continue;
        }
        if (before) local.updated++;
        else local.created++;
        const triggersChanged = Boolean(before) && triggerAttributesChanged(JSON.parse(before!.attributes) as Record<string, unknown>, result.input.attributes ?? {});
        writes.push({ id: patch.id, row, input: result.input, created: !before, triggersChanged });
      }
      if (write && writes.length) {
        await importsRepository.upsertCustomers(q, writes, now);
        for (const w of writes) {
          await this.audit.record(q, { actorId, action: w.created ? 'customer.create' : 'customer.update', subjectType: 'customer', subjectId: w.id, customerId: w.id, details: { import: imp.id, row: w.row } });
          // As PUT /api/customers/:id does: the end of the relationship or a withdrawn consent starts retention periods.
          if (!w.triggersChanged) continue;
          const changes = await recomputeRetentionForCustomer(q, w.id, this.clock);
          if (changes.length) {
            await this.audit.record(q, { actorId, action: 'retention.recompute', subjectType: 'customer', subjectId: w.id, customerId: w.id, details: { reason: 'customer trigger attributes changed', import: imp.id, changes: changes.slice(0, 200), count: changes.length } });
          }
        }
      }
      const next: Counts = {
        done_rows: counts.done_rows + recs.length,
        created: counts.created + local.created,
        updated: counts.updated + local.updated,
        unchanged: counts.unchanged + local.unchanged,
        failed: counts.failed + rejectedRows.size,
      };
      const kept = [...errors, ...rowErrors.sort((a, b) => a.row - b.row)].slice(0, MAX_ERRORS_KEPT);
      await importsRepository.saveProgress(q, imp.id, next, JSON.stringify(kept));
      return { next, kept };
    };
    // A dry run reads through the same code but writes only its own counters.
    const { next, kept } = imp.dry_run ? await this.db.tx((q) => work(q, false)) : await this.db.tx((q) => work(q, true));
    Object.assign(counts, next);
    errors.splice(0, errors.length, ...kept);
  }

  /**
   * The stored upload goes once the import is over (this row, now done, no longer counts): it holds
   * personal data nobody needs any more, unless another row (a running import) keeps the same bytes.
   */
  private async forgetFile(row: ImportRow) {
    await removeIfUnreferenced(this.db, this.store, [row.file_sha256], { logger: this.logger }).catch((err: unknown) => this.logger?.warn({ err: { message: (err as Error).message } }, 'import file not removed'));
  }

  async get(id: string): Promise<ImportView> {
    const row = await importsRepository.get(this.db, id);
    if (!row) throw new NotFound('import', id);
    return toImportView(row);
  }

  async list(limit = 50): Promise<Omit<ImportView, 'errors'>[]> {
    const rows = await importsRepository.list(this.db, limit);
    return rows.map((r) => {
      const { errors: _e, ...rest } = toImportView(r);
      return rest;
    });
  }
}

import type { CustomerInput, CustomerRow } from './customers.repository.js';
import type { Queryable } from './database.js';
import { customerValues } from './customers.repository.js';

export type ImportRow = {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  dry_run: number;
  format: 'csv' | 'ndjson';
  file_name: string | null;
  file_sha256: string;
  file_bytes: number;
  total_rows: number;
  done_rows: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  errors: string;
  error: string | null;
  job_id: string | null;
  created_by: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
};

export type ImportCounts = Pick<ImportRow, 'done_rows' | 'created' | 'updated' | 'unchanged' | 'failed'>;

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

export const importsRepository = {
  async insert(q: Queryable, r: Pick<ImportRow, 'id' | 'dry_run' | 'format' | 'file_name' | 'file_sha256' | 'file_bytes' | 'total_rows' | 'created_by' | 'created_at'>) {
    await q.run(
      `INSERT INTO customer_imports (id, status, dry_run, format, file_name, file_sha256, file_bytes, total_rows, created_by, created_at)
       VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
      [r.id, r.dry_run, r.format, r.file_name, r.file_sha256, r.file_bytes, r.total_rows, r.created_by, r.created_at],
    );
  },
  get(q: Queryable, id: string) {
    return q.get<ImportRow>('SELECT * FROM customer_imports WHERE id = ?', [id]);
  },
  list(q: Queryable, limit: number) {
    return q.all<ImportRow>('SELECT * FROM customer_imports ORDER BY created_at DESC, id DESC LIMIT ?', [limit]);
  },
  async setJob(q: Queryable, id: string, jobId: string) {
    await q.run('UPDATE customer_imports SET job_id = ? WHERE id = ?', [jobId, id]);
  },
  async markRunning(q: Queryable, id: string, now: string) {
    await q.run("UPDATE customer_imports SET status = 'running', started_at = COALESCE(started_at, ?) WHERE id = ?", [now, id]);
  },
  /** Counters and errors, written in the transaction of the batch they count. */
  async saveProgress(q: Queryable, id: string, c: ImportCounts, errors: string) {
    await q.run(
      `UPDATE customer_imports SET done_rows = ?, created = ?, updated = ?, unchanged = ?, failed = ?, errors = ?, total_rows = CASE WHEN total_rows > ? THEN total_rows ELSE ? END WHERE id = ?`,
      [c.done_rows, c.created, c.updated, c.unchanged, c.failed, errors, c.done_rows, c.done_rows, id],
    );
  },
  async markDone(q: Queryable, id: string, now: string) {
    await q.run("UPDATE customer_imports SET status = 'done', total_rows = done_rows, finished_at = ?, error = NULL WHERE id = ?", [now, id]);
  },
  async markFailed(q: Queryable, id: string, error: string, now: string) {
    await q.run("UPDATE customer_imports SET status = 'failed', error = ?, finished_at = ? WHERE id = ?", [error, now, id]);
  },
  async requeue(q: Queryable, id: string, error: string) {
    await q.run("UPDATE customer_imports SET status = 'queued', error = ? WHERE id = ?", [error, id]);
  },

  customers(q: Queryable, ids: string[]) {
    if (ids.length === 0) return Promise.resolve([] as CustomerRow[]);
    return q.all<CustomerRow>(`SELECT * FROM customers WHERE id IN (${marks(ids.length)})`, ids);
  },
  merged(q: Queryable, ids: string[]) {
    if (ids.length === 0) return Promise.resolve([] as { merged_id: string; into_id: string }[]);
    return q.all<{ merged_id: string; into_id: string }>(`SELECT merged_id, into_id FROM customer_merges WHERE merged_id IN (${marks(ids.length)})`, ids);
  },

  /** Inserts or updates many customers in one statement (same columns as customersRepository.upsert). */
  async upsertCustomers(q: Queryable, rows: { id: string; input: CustomerInput }[], now: string): Promise<void> {
    for (let i = 0; i < rows.length; i += 200) {
      const chunk = rows.slice(i, i + 200);
      await q.run(
        `INSERT INTO customers (id, name, kvk, email, address, postcode, city, attributes, created_at, updated_at)
         VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, kvk = excluded.kvk, email = excluded.email, address = excluded.address,
           postcode = excluded.postcode, city = excluded.city, attributes = excluded.attributes, updated_at = excluded.updated_at`,
        chunk.flatMap(({ id, input: c }) => [id, ...customerValues(c), now, now]),
      );
    }
  },
};

import type { Queryable } from './database.js';

export type JobStatus = 'queued' | 'running' | 'done' | 'failed';
export const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'done', 'failed'];

export type JobRow = {
  id: string;
  kind: string;
  payload: string;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  run_after: string;
  locked_by: string | null;
  locked_at: string | null;
  last_error: string | null;
  /** Migration 024: the failure's code and its parameters (JSON), for the operator's screen. */
  last_error_code: string | null;
  last_error_details: string | null;
  progress: string;
  idempotency_key: string | null;
  created_at: string;
  updated_at: string;
};

/** A failed run as a jobs row keeps it: the English text (with the stack), the code, its parameters as JSON. */
export type JobFailure = { text: string; code: string; details: string | null };

/** The code of a run stopped by a shutdown or a dead worker rather than failed by its own doing. */
export const INTERRUPTED = 'job_interrupted';

export type NewJobRow = Pick<JobRow, 'id' | 'kind' | 'payload' | 'max_attempts' | 'run_after' | 'idempotency_key' | 'created_at'>;

/** `kind IN (?, ?, …)` for a non-empty list. */
const inList = (n: number) => `(${Array.from({ length: n }, () => '?').join(', ')})`;

// Every lock-holder write checks status and locked_by in its WHERE clause: a compare-and-swap,
// so a worker whose job was recovered and handed to another worker can no longer touch it.
const HELD = `id = ? AND status = 'running' AND locked_by = ?`;

export const jobsRepository = {
  /**
   * Inserts a queued job. With an idempotency key that is already taken it inserts nothing and
   * returns false; the caller then looks the existing job up.
   */
  async insert(q: Queryable, j: NewJobRow): Promise<boolean> {
    const r = await q.run(
      `INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_after, progress, idempotency_key, created_at, updated_at)
       VALUES (?, ?, ?, 'queued', 0, ?, ?, '{}', ?, ?, ?)
       ON CONFLICT(idempotency_key) DO NOTHING`,
      [j.id, j.kind, j.payload, j.max_attempts, j.run_after, j.idempotency_key, j.created_at, j.created_at],
    );
    return r.changes > 0;
  },

  idByKey(q: Queryable, key: string) {
    return q.get<{ id: string }>('SELECT id FROM jobs WHERE idempotency_key = ?', [key]);
  },

  /** Whether any job of these kinds is due; a cheap read that lets an idle poll skip the writer lock. */
  async anyDue(q: Queryable, kinds: string[], now: string): Promise<boolean> {
    const row = await q.get<{ one: number }>(
      `SELECT 1 AS one FROM jobs WHERE status = 'queued' AND run_after <= ? AND kind IN ${inList(kinds.length)} LIMIT 1`,
      [now, ...kinds],
    );
    return row !== undefined;
  },

  /**
   * Marks the earliest due job running for `workerId` and returns it. Call inside a
   * `BEGIN IMMEDIATE` transaction: the pick and the mark must not interleave with another claim.
   */
  claimNext(q: Queryable, kinds: string[], workerId: string, now: string) {
    // rowid breaks ties in insertion order (ids are random within a millisecond); the
    // jobs_ready(status, run_after) index already yields rows in (run_after, rowid) order.
    return q.get<JobRow>(
      `UPDATE jobs SET status = 'running', locked_by = ?, locked_at = ?, attempts = attempts + 1, updated_at = ?
       WHERE status = 'queued' AND id = (
         SELECT id FROM jobs WHERE status = 'queued' AND run_after <= ? AND kind IN ${inList(kinds.length)}
         ORDER BY run_after, rowid LIMIT 1)
       RETURNING *`,
      [workerId, now, now, now, ...kinds],
    );
  },

  heldBy(q: Queryable, id: string, workerId: string) {
    return q.get<JobRow>(`SELECT * FROM jobs WHERE ${HELD}`, [id, workerId]);
  },

  async markDone(q: Queryable, id: string, workerId: string, now: string): Promise<boolean> {
    const r = await q.run(`UPDATE jobs SET status = 'done', updated_at = ? WHERE ${HELD}`, [now, id, workerId]);
    return r.changes > 0;
  },

  async scheduleRetry(q: Queryable, id: string, workerId: string, runAfter: string, failure: JobFailure, now: string): Promise<boolean> {
    const r = await q.run(
      `UPDATE jobs SET status = 'queued', run_after = ?, last_error = ?, last_error_code = ?, last_error_details = ?, locked_by = NULL, locked_at = NULL, updated_at = ?
       WHERE ${HELD}`,
      [runAfter, failure.text, failure.code, failure.details, now, id, workerId],
    );
    return r.changes > 0;
  },

  async markFailed(q: Queryable, id: string, workerId: string, failure: JobFailure, now: string): Promise<boolean> {
    const r = await q.run(`UPDATE jobs SET status = 'failed', last_error = ?, last_error_code = ?, last_error_details = ?, updated_at = ? WHERE ${HELD}`, [
      failure.text,
      failure.code,
      failure.details,
      now,
      id,
      workerId,
    ]);
    return r.changes > 0;
  },

  /** Hands a job back untouched (shutdown before or during the run): due now, the attempt given back. */
  async release(q: Queryable, id: string, workerId: string, note: string, now: string): Promise<boolean> {
    const r = await q.run(
      `UPDATE jobs SET status = 'queued', run_after = ?, attempts = CASE WHEN attempts > 1 THEN attempts - 1 ELSE 0 END, last_error = ?,
         last_error_code = '${INTERRUPTED}', last_error_details = NULL, locked_by = NULL, locked_at = NULL, updated_at = ?
       WHERE ${HELD}`,
      [now, note, now, id, workerId],
    );
    return r.changes > 0;
  },

  async heartbeat(q: Queryable, ids: string[], workerId: string, now: string): Promise<number> {
    if (ids.length === 0) return 0;
    const r = await q.run(
      `UPDATE jobs SET locked_at = ? WHERE status = 'running' AND locked_by = ? AND id IN ${inList(ids.length)}`,
      [now, workerId, ...ids],
    );
    return r.changes;
  },

  async setProgress(q: Queryable, id: string, progress: string, now: string): Promise<boolean> {
    const r = await q.run(`UPDATE jobs SET progress = ?, updated_at = ? WHERE id = ? AND status = 'running'`, [progress, now, id]);
    return r.changes > 0;
  },

  /**
   * Jobs left running with a lock older than `cutoff` go back to the queue with their attempt
   * count kept; those already on their last attempt fail instead, so a job that kills the
   * process every time it runs cannot loop forever. Call inside a transaction.
   */
  async recoverStale(q: Queryable, cutoff: string, now: string): Promise<{ requeued: number; failed: number }> {
    const note = `'interrupted: worker ' || COALESCE(locked_by, '?') || ' stopped during attempt ' || attempts`;
    const failed = await q.run(
      `UPDATE jobs SET status = 'failed', last_error = ${note}, last_error_code = '${INTERRUPTED}', last_error_details = NULL, updated_at = ?
       WHERE status = 'running' AND locked_at <= ? AND attempts >= max_attempts`,
      [now, cutoff],
    );
    const requeued = await q.run(
      `UPDATE jobs SET status = 'queued', run_after = ?, last_error = ${note}, last_error_code = '${INTERRUPTED}', last_error_details = NULL,
         locked_by = NULL, locked_at = NULL, updated_at = ?
       WHERE status = 'running' AND locked_at <= ?`,
      [now, now, cutoff],
    );
    return { requeued: requeued.changes, failed: failed.changes };
  },

  /** Operator action: a failed job back to the queue with a fresh set of attempts. */
  async retryFailed(q: Queryable, id: string, now: string): Promise<boolean> {
    const r = await q.run(
      `UPDATE jobs SET status = 'queued', attempts = 0, run_after = ?, locked_by = NULL, locked_at = NULL, updated_at = ?
       WHERE id = ? AND status = 'failed'`,
      [now, now, id],
    );
    return r.changes > 0;
  },

  get(q: Queryable, id: string) {
    return q.get<JobRow>('SELECT * FROM jobs WHERE id = ?', [id]);
  },

  /** Newest first. */
  list(q: Queryable, f: { status?: JobStatus; kind?: string; limit: number; offset: number }) {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.status) {
      where.push('status = ?');
      params.push(f.status);
    }
    if (f.kind) {
      where.push('kind = ?');
      params.push(f.kind);
    }
    return q.all<JobRow>(
      `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`,
      [...params, f.limit, f.offset],
    );
  },

  counts(q: Queryable) {
    return q.all<{ kind: string; status: JobStatus; n: number }>('SELECT kind, status, COUNT(*) AS n FROM jobs GROUP BY kind, status');
  },
};

import type { Queryable } from './database.js';
import { INTERRUPTED, type JobRow } from './jobs.repository.js';

/**
 * The PostgreSQL-only half of the job queue (issue #13): graphile-worker's own functions, called
 * through the caller's handle so a job commits or rolls back with the row it concerns, and the
 * runner heartbeats of migrations-pg/003_jobs.sql. The `jobs` record itself is shared with SQLite
 * (jobs.repository.ts).
 */

/**
 * graphile-worker's job for one of ours: the payload names our job only (the record stays in
 * `jobs`), and job_key = our id, so there is at most one waiting delivery per job: adding it again
 * moves the waiting one (or, if one is running, schedules the next run beside it).
 */
const ADD_JOB = `SELECT (graphile_worker.add_job(
  CAST(? AS TEXT), json_build_object('id', CAST(? AS TEXT)), NULL,
  now() + CAST(? AS INTEGER) * interval '1 millisecond', CAST(? AS INTEGER), CAST(? AS TEXT))).id AS gid`;

/** Deliveries graphile may attempt when our own settle step cannot write (database gone): its retries are the safety net. */
export const GRAPHILE_MAX_ATTEMPTS = 25;

export const pgJobsRepository = {
  /** Schedules a delivery of job `id` in `delayMs` (PostgreSQL's clock), woken by LISTEN/NOTIFY. */
  async deliver(q: Queryable, kind: string, id: string, delayMs: number): Promise<void> {
    await q.get(ADD_JOB, [kind, id, Math.max(0, Math.round(delayMs)), GRAPHILE_MAX_ATTEMPTS, id]);
  },

  /**
   * Takes job `id` for `runnerId`: running, attempts + 1. A job already done or failed (a second
   * delivery after a crash) is not taken; one whose attempts are spent by runs that died (a job
   * that kills its process) fails instead of running again.
   */
  async take(q: Queryable, id: string, runnerId: string, now: string): Promise<JobRow | undefined> {
    const row = await q.get<JobRow>(
      `UPDATE jobs SET status = 'running', locked_by = ?, locked_at = ?, attempts = attempts + 1, updated_at = ?
       WHERE id = ? AND status IN ('queued', 'running') AND attempts < max_attempts
       RETURNING *`,
      [runnerId, now, now, id],
    );
    if (row) return row;
    await q.run(
      `UPDATE jobs SET status = 'failed', updated_at = ?,
         last_error = 'interrupted: worker ' || COALESCE(locked_by, '?') || ' stopped during attempt ' || attempts,
         last_error_code = '${INTERRUPTED}', last_error_details = NULL
       WHERE id = ? AND status IN ('queued', 'running') AND attempts >= max_attempts`,
      [now, id],
    );
    return undefined;
  },

  /** Hands a held job back untouched (shutdown): due now, the attempt given back. Returns its row, or undefined if not held. */
  release(q: Queryable, id: string, runnerId: string, note: string, now: string) {
    return q.get<{ kind: string }>(
      `UPDATE jobs SET status = 'queued', run_after = ?, attempts = GREATEST(attempts - 1, 0), last_error = ?,
         last_error_code = '${INTERRUPTED}', last_error_details = NULL, locked_by = NULL, locked_at = NULL, updated_at = ?
       WHERE id = ? AND status = 'running' AND locked_by = ?
       RETURNING kind`,
      [now, note, now, id, runnerId],
    );
  },

  /**
   * Schedules a delivery for every queued job that has none waiting: jobs copied in from an
   * embedded instance (migrate-to-postgres), or queued by hand. One statement, however many.
   */
  async deliverUndelivered(q: Queryable): Promise<number> {
    const r = await q.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM graphile_worker.add_jobs(ARRAY(
         SELECT ROW(j.kind, json_build_object('id', j.id), NULL, GREATEST(now(), CAST(j.run_after AS TIMESTAMPTZ)), ?, j.id, NULL, NULL)::graphile_worker.job_spec
         FROM jobs j
         WHERE j.status = 'queued'
           AND NOT EXISTS (SELECT 1 FROM graphile_worker.jobs g WHERE g.key = j.id AND g.attempts < g.max_attempts)))`,
      [GRAPHILE_MAX_ATTEMPTS],
    );
    return r?.n ?? 0;
  },

  /** This process is alive, with these graphile pools. */
  async beat(q: Queryable, runnerId: string, poolIds: string[]): Promise<void> {
    await q.run(
      `INSERT INTO job_runners (runner_id, pool_ids) VALUES (?, CAST(? AS TEXT[]))
       ON CONFLICT (runner_id) DO UPDATE SET pool_ids = excluded.pool_ids, heartbeat_at = now()`,
      [runnerId, poolIds],
    );
  },

  async forget(q: Queryable, runnerId: string): Promise<void> {
    await q.run('DELETE FROM job_runners WHERE runner_id = ?', [runnerId]);
  },

  /**
   * Ends the claims of runners silent for `timeoutMs`: graphile's locks on their jobs are lifted
   * (force_unlock_workers) and the runners forgotten. Returns their ids. Call inside a transaction.
   */
  async unlockDead(q: Queryable, timeoutMs: number): Promise<string[]> {
    const dead = await q.all<{ runner_id: string; pool_ids: string[] }>(
      `SELECT runner_id, pool_ids FROM job_runners
       WHERE heartbeat_at < now() - CAST(? AS INTEGER) * interval '1 millisecond'
       FOR UPDATE SKIP LOCKED`,
      [Math.max(0, Math.round(timeoutMs))],
    );
    if (dead.length === 0) return [];
    await q.get('SELECT graphile_worker.force_unlock_workers(CAST(? AS TEXT[]))', [dead.flatMap((d) => d.pool_ids)]);
    await q.run('DELETE FROM job_runners WHERE runner_id = ANY(CAST(? AS TEXT[]))', [dead.map((d) => d.runner_id)]);
    return dead.map((d) => d.runner_id);
  },

  /**
   * Jobs left `running` by a runner that is not alive (no heartbeat row): back to the queue with
   * their attempt count kept, or failed when that was their last attempt. Returns both sets so
   * the caller can deliver the requeued ones again. Call inside a transaction.
   */
  async releaseOrphans(q: Queryable, now: string): Promise<{ requeued: { id: string; kind: string }[]; failed: number }> {
    const orphan = `status = 'running' AND (locked_by IS NULL OR locked_by NOT IN (SELECT runner_id FROM job_runners))`;
    const note = `'interrupted: worker ' || COALESCE(locked_by, '?') || ' stopped during attempt ' || attempts`;
    const interrupted = `last_error = ${note}, last_error_code = '${INTERRUPTED}', last_error_details = NULL`;
    const failed = await q.run(`UPDATE jobs SET status = 'failed', ${interrupted}, updated_at = ? WHERE ${orphan} AND attempts >= max_attempts`, [now]);
    const requeued = await q.all<{ id: string; kind: string }>(
      `UPDATE jobs SET status = 'queued', run_after = ?, ${interrupted}, locked_by = NULL, locked_at = NULL, updated_at = ?
       WHERE ${orphan} RETURNING id, kind`,
      [now, now],
    );
    return { requeued, failed: failed.changes };
  },
};

-- Job runners on PostgreSQL (issue #13). graphile-worker holds the claims (its own schema,
-- installed by its migrator at start-up); the `jobs` table of 001 stays the record of every job
-- (status, attempts, progress, last error) for GET /api/jobs and the operator's retry. What
-- graphile-worker lacks is a quick end to the lock of a process that was SIGKILLed (it waits 4 h):
-- each runner process beats here, and a runner that stops beating has its graphile pools
-- force-unlocked and its jobs handed back by any other runner.
CREATE TABLE job_runners (
  runner_id    TEXT PRIMARY KEY,
  -- graphile-worker pool ids of this process (what graphile writes into its jobs' locked_by).
  pool_ids     TEXT[] NOT NULL DEFAULT '{}',
  started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

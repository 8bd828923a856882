-- The same as SQLite's 024_job_error_code.sql: why a job last failed, as a code and its parameters.
ALTER TABLE jobs ADD COLUMN last_error_code TEXT;
ALTER TABLE jobs ADD COLUMN last_error_details TEXT;

-- Why a job last failed, as a code the operator's screen can say in the user's language
-- (error.<code>), with the error's parameters as JSON; `last_error` keeps the server's English
-- text and stack for whoever digs further.
ALTER TABLE jobs ADD COLUMN last_error_code TEXT;
ALTER TABLE jobs ADD COLUMN last_error_details TEXT;

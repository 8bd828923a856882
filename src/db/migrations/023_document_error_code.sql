-- Why a document failed, as a code the interface can say in the user's language (error.<code>),
-- with the error's parameters as JSON; `error` keeps the server's English sentence.
ALTER TABLE documents ADD COLUMN error_code TEXT;
ALTER TABLE documents ADD COLUMN error_details TEXT;

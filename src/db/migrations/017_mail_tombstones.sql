-- A stored e-mail message (.eml) is a copy of the attachments that became documents: when the last of
-- them is destroyed, or the customer is erased, the message goes too and its row stays as a tombstone
-- (id = hash of the Message-ID, so a message still on the server is not fetched again; no sender,
-- subject or Message-ID). A tombstone no longer keeps its .eml object alive (object-refs.repository.ts).
ALTER TABLE mail_messages ADD COLUMN destroyed_at TEXT;

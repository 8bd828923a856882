import type { Queryable } from './database.js';

export type MailMessageRow = {
  id: string;
  message_id: string | null;
  mailbox: string;
  uid: number | null;
  sender: string | null;
  subject: string | null;
  eml_sha256: string;
  eml_size: number;
  customer_id: string | null;
  status: 'queued' | 'done' | 'failed';
  job_id: string | null;
  error: string | null;
  skipped: string;
  received_at: string | null;
  marked_at: string | null;
  created_at: string;
  updated_at: string;
  destroyed_at: string | null;
};

/** E-mail intake: messages by Message-ID, the documents their attachments became, and customers by address. */
export const mailMessagesRepository = {
  get(q: Queryable, id: string) {
    return q.get<MailMessageRow>('SELECT * FROM mail_messages WHERE id = ?', [id]);
  },
  async insert(q: Queryable, r: Omit<MailMessageRow, 'error' | 'skipped' | 'marked_at' | 'customer_id' | 'destroyed_at'>): Promise<void> {
    await q.run(
      `INSERT INTO mail_messages (id, message_id, mailbox, uid, sender, subject, eml_sha256, eml_size, status, job_id, received_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [r.id, r.message_id, r.mailbox, r.uid, r.sender, r.subject, r.eml_sha256, r.eml_size, r.status, r.job_id, r.received_at, r.created_at, r.updated_at],
    );
  },
  async setJob(q: Queryable, id: string, jobId: string): Promise<void> {
    await q.run('UPDATE mail_messages SET job_id = ? WHERE id = ?', [jobId, id]);
  },
  async finish(q: Queryable, id: string, r: { customerId: string | null; skipped: string; now: string }): Promise<void> {
    await q.run("UPDATE mail_messages SET status = 'done', customer_id = ?, skipped = ?, error = NULL, updated_at = ? WHERE id = ?", [r.customerId, r.skipped, r.now, id]);
  },
  async fail(q: Queryable, id: string, error: string, now: string): Promise<void> {
    await q.run("UPDATE mail_messages SET status = 'failed', error = ?, updated_at = ? WHERE id = ?", [error, now, id]);
  },
  async noteError(q: Queryable, id: string, error: string, now: string): Promise<void> {
    await q.run('UPDATE mail_messages SET error = ?, updated_at = ? WHERE id = ?', [error, now, id]);
  },
  async marked(q: Queryable, id: string, now: string): Promise<void> {
    await q.run('UPDATE mail_messages SET marked_at = ? WHERE id = ?', [now, id]);
  },
  async linkDocument(q: Queryable, messageId: string, documentId: string, name: string | null, duplicate: boolean): Promise<void> {
    await q.run('INSERT INTO mail_message_documents (message_id, document_id, name, duplicate) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [messageId, documentId, name, duplicate ? 1 : 0]);
  },
  documents(q: Queryable, messageId: string) {
    return q.all<{ document_id: string; name: string | null; duplicate: number }>('SELECT document_id, name, duplicate FROM mail_message_documents WHERE message_id = ? ORDER BY rowid', [messageId]);
  },
  list(q: Queryable, f: { status?: MailMessageRow['status']; limit: number; offset: number }) {
    return q.all<MailMessageRow>(
      `SELECT * FROM mail_messages ${f.status ? 'WHERE status = ?' : ''} ORDER BY created_at DESC, id LIMIT ? OFFSET ?`,
      f.status ? [f.status, f.limit, f.offset] : [f.limit, f.offset],
    );
  },
  counts(q: Queryable) {
    return q.all<{ status: MailMessageRow['status']; n: number }>('SELECT status, COUNT(*) AS n FROM mail_messages GROUP BY status');
  },
  /** Customers whose e-mail address is exactly `address` (case-insensitive). */
  customersByEmail(q: Queryable, address: string) {
    return q.all<{ id: string }>('SELECT id FROM customers WHERE lower(trim(email)) = lower(?) AND id NOT IN (SELECT merged_id FROM customer_merges) ORDER BY id', [address]);
  },
  /** Customers whose e-mail address is at `domain`. */
  customersByDomain(q: Queryable, domain: string) {
    return q.all<{ id: string }>(
      "SELECT id FROM customers WHERE substr(lower(trim(email)), length(trim(email)) - length(CAST(? AS TEXT))) = '@' || lower(?) AND id NOT IN (SELECT merged_id FROM customer_merges) ORDER BY id",
      [domain, domain],
    );
  },
  /** The live (not destroyed) messages a document came in with. */
  liveForDocument(q: Queryable, documentId: string) {
    return q.all<MailMessageRow>(
      'SELECT m.* FROM mail_messages m JOIN mail_message_documents l ON l.message_id = m.id WHERE l.document_id = ? AND m.destroyed_at IS NULL ORDER BY m.created_at, m.id',
      [documentId],
    );
  },
  /** The live messages of a customer: matched to it, or carrying one of its documents. */
  liveForCustomer(q: Queryable, customerId: string) {
    return q.all<MailMessageRow>(
      `SELECT * FROM mail_messages WHERE destroyed_at IS NULL AND (customer_id = ? OR id IN (
         SELECT l.message_id FROM mail_message_documents l JOIN documents d ON d.id = l.document_id WHERE d.customer_id = ?))
       ORDER BY created_at, id`,
      [customerId, customerId],
    );
  },
  /** The documents made from a message that are not destroyed. */
  liveDocuments(q: Queryable, messageId: string) {
    return q.all<{ id: string; customer_id: string | null }>(
      'SELECT d.id, d.customer_id FROM mail_message_documents l JOIN documents d ON d.id = l.document_id WHERE l.message_id = ? AND d.destroyed_at IS NULL ORDER BY d.id',
      [messageId],
    );
  },
  /**
   * Leaves a tombstone: the id (hash of the Message-ID, so the message is not fetched again), dates,
   * size, content hash and the document links stay; who sent it, about what, and the names of the
   * attachments not taken go.
   */
  async tombstone(q: Queryable, id: string, now: string): Promise<void> {
    await q.run("UPDATE mail_messages SET destroyed_at = ?, message_id = NULL, sender = NULL, subject = NULL, error = NULL, skipped = '[]', updated_at = ? WHERE id = ?", [now, now, id]);
    await q.run('UPDATE mail_message_documents SET name = NULL WHERE message_id = ?', [id]);
  },
};

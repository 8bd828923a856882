import type { ChainedEvent } from '../domain/audit-chain.js';
import type { Queryable } from './database.js';

/** A stored audit event: the fields the chain covers, its place in the chain and its hashes. */
export type AuditRow = ChainedEvent & { seq: number; prev_hash: string; hash: string };

export type AuditFilter = { customerId?: string; actorId?: string; subjectId?: string; from?: string; to?: string; action?: string };

export const auditRepository = {
  /**
   * The newest event, read to chain the next one onto it. On PostgreSQL many processes append at
   * once: a transaction-scoped advisory lock makes appenders take turns until they commit (SQLite
   * has one writer anyway), so the chain never forks and sequence numbers have no gaps.
   */
  async last(q: Queryable) {
    if (q.dialect === 'postgres') await q.get('SELECT pg_advisory_xact_lock(7253002)');
    return q.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
  },
  /**
   * Rows in the order given, up to 50 a statement (500 parameters, within any SQLite's limit).
   * `seq` is given, counting on from `last`: an engine's own counter may skip numbers after a
   * rollback, and verify reads a gap as a deleted event.
   */
  async insertMany(q: Queryable, rows: AuditRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += 50) {
      const part = rows.slice(i, i + 50);
      await q.run(
        `INSERT INTO audit_events (seq, at, actor_id, action, subject_type, subject_id, customer_id, details, prev_hash, hash)
         VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
        part.flatMap((r) => [r.seq, r.at, r.actor_id, r.action, r.subject_type, r.subject_id, r.customer_id, r.details, r.prev_hash, r.hash]),
      );
    }
  },
  keying(q: Queryable) {
    return q.get<{ keyed_from_seq: number; key_id: string; created_at: string }>('SELECT keyed_from_seq, key_id, created_at FROM audit_keying WHERE id = 1');
  },
  insertKeying(q: Queryable, keyedFromSeq: number, keyId: string, at: string) {
    // Processes started together on a new database may both try: the first one's row stands.
    return q.run('INSERT INTO audit_keying (id, keyed_from_seq, key_id, created_at) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO NOTHING', [keyedFromSeq, keyId, at]);
  },
  /** Rows in chain order, a page at a time, for verification without loading the whole log. */
  page(q: Queryable, afterSeq: number, limit: number) {
    return q.all<AuditRow>('SELECT * FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?', [afterSeq, limit]);
  },
  query(q: Queryable, f: AuditFilter, limit: number, beforeSeq?: number) {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.customerId) (where.push('customer_id = ?'), args.push(f.customerId));
    if (f.actorId) (where.push('actor_id = ?'), args.push(f.actorId));
    if (f.subjectId) (where.push('subject_id = ?'), args.push(f.subjectId));
    if (f.action) (where.push('action = ?'), args.push(f.action));
    if (f.from) (where.push('at >= ?'), args.push(f.from));
    if (f.to) (where.push('at < ?'), args.push(f.to));
    if (beforeSeq !== undefined) (where.push('seq < ?'), args.push(beforeSeq));
    const sql = `SELECT * FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    return q.all<AuditRow>(sql, [...args, limit]);
  },
};

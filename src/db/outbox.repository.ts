import type { Queryable } from './database.js';
import { notRestricted } from './restriction.repository.js';

export type OutboxRow = {
  seq: number;
  id: string;
  type: string;
  occurred_at: string;
  customer_id: string | null;
  subject_type: string;
  subject_id: string | null;
  actor_id: string | null;
  data: string;
  dedupe_key: string | null;
};

export type WebhookRow = {
  id: string;
  url: string;
  secret: string;
  event_types: string;
  description: string | null;
  active: number;
  created_by: string | null;
  created_at: string;
  deleted_by: string | null;
  deleted_at: string | null;
};

export type DeliveryStatus = 'pending' | 'sending' | 'delivered' | 'dead' | 'cancelled';

export type DeliveryRow = {
  id: string;
  webhook_id: string;
  event_seq: number;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string;
  locked_until: string | null;
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: string | null;
  delivered_at: string | null;
  dead_at: string | null;
  replays: number;
  created_at: string;
};

/** A delivery with what sending it needs: the event and the webhook. */
export type DeliveryJob = DeliveryRow & {
  url: string;
  secret: string;
  webhook_active: number;
  event_id: string;
  event_type: string;
  occurred_at: string;
  customer_id: string | null;
  subject_type: string;
  subject_id: string | null;
  actor_id: string | null;
  data: string;
};

const DUE = `((d.status = 'pending' AND d.next_attempt_at <= $now) OR (d.status = 'sending' AND d.locked_until < $now))`;

export const outboxRepository = {
  /** Inserts an event; false when its dedupe key was used before (nothing written). */
  async insertEvent(q: Queryable, e: Omit<OutboxRow, 'seq'>): Promise<number | null> {
    const r = await q.get<{ seq: number }>(
      `INSERT INTO outbox_events (id, type, occurred_at, customer_id, subject_type, subject_id, actor_id, data, dedupe_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING seq`,
      [e.id, e.type, e.occurred_at, e.customer_id, e.subject_type, e.subject_id, e.actor_id, e.data, e.dedupe_key],
    );
    return r ? r.seq : null;
  },

  eventById(q: Queryable, id: string) {
    return q.get<OutboxRow>('SELECT * FROM outbox_events WHERE id = ?', [id]);
  },

  eventsAfter(q: Queryable, after: number, limit: number, types?: string[]) {
    const filter = types?.length ? `AND type IN (${types.map(() => '?').join(', ')})` : '';
    // A feed: events of customers under a GDPR art. 18 restriction are left out for every reader.
    return q.all<OutboxRow>(`SELECT * FROM outbox_events WHERE seq > ? AND ${notRestricted('customer_id')} ${filter} ORDER BY seq LIMIT ?`, [after, ...(types ?? []), limit]);
  },

  activeWebhooks(q: Queryable) {
    return q.all<Pick<WebhookRow, 'id' | 'event_types'>>('SELECT id, event_types FROM webhooks WHERE active = 1');
  },

  insertDelivery(q: Queryable, d: { id: string; webhook_id: string; event_seq: number; now: string }) {
    return q.run(
      `INSERT INTO webhook_deliveries (id, webhook_id, event_seq, status, next_attempt_at, created_at)
       VALUES (?, ?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING`,
      [d.id, d.webhook_id, d.event_seq, d.now, d.now],
    );
  },

  async insertWebhook(q: Queryable, w: Omit<WebhookRow, 'deleted_by' | 'deleted_at' | 'active'>): Promise<void> {
    await q.run(
      `INSERT INTO webhooks (id, url, secret, event_types, description, active, created_by, created_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)`,
      [w.id, w.url, w.secret, w.event_types, w.description, w.created_by, w.created_at],
    );
  },

  webhook(q: Queryable, id: string) {
    return q.get<WebhookRow>('SELECT * FROM webhooks WHERE id = ?', [id]);
  },

  webhooks(q: Queryable) {
    return q.all<WebhookRow & { pending: number; dead: number; delivered: number }>(
      `SELECT w.*,
         (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.status IN ('pending','sending')) AS pending,
         (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.status = 'dead') AS dead,
         (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.status = 'delivered') AS delivered
       FROM webhooks w WHERE w.active = 1 ORDER BY w.created_at`,
    );
  },

  /** Deactivates a webhook; what it had not received yet is cancelled, its dead letters stay for inspection. */
  async deleteWebhook(q: Queryable, id: string, by: string, now: string): Promise<boolean> {
    const r = await q.run('UPDATE webhooks SET active = 0, deleted_by = ?, deleted_at = ? WHERE id = ? AND active = 1', [by, now, id]);
    if (!r.changes) return false;
    await q.run("UPDATE webhook_deliveries SET status = 'cancelled', locked_until = NULL WHERE webhook_id = ? AND status IN ('pending','sending')", [id]);
    return true;
  },

  async anyDue(q: Queryable, now: string): Promise<boolean> {
    return Boolean(await q.get(`SELECT 1 FROM webhook_deliveries d WHERE ${DUE} LIMIT 1`, { now }));
  },

  /** When the next pending delivery falls due (null when none is pending). */
  async nextDueAt(q: Queryable): Promise<string | null> {
    return (await q.get<{ at: string | null }>("SELECT MIN(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending'"))?.at ?? null;
  },

  /** Claims due deliveries (inside a transaction): marks them sending until `lockedUntil`, counts the attempt. */
  async claimDue(q: Queryable, now: string, lockedUntil: string, limit: number): Promise<DeliveryJob[]> {
    const ids = await q.all<{ id: string }>(`SELECT d.id FROM webhook_deliveries d WHERE ${DUE} ORDER BY d.event_seq LIMIT $limit`, { now, limit });
    if (ids.length === 0) return [];
    const list = ids.map((r) => r.id);
    const marks = list.map(() => '?').join(', ');
    await q.run(
      `UPDATE webhook_deliveries SET status = 'sending', locked_until = ?, attempts = attempts + 1, last_attempt_at = ? WHERE id IN (${marks})`,
      [lockedUntil, now, ...list],
    );
    return q.all<DeliveryJob>(
      `SELECT d.*, w.url, w.secret, w.active AS webhook_active, e.id AS event_id, e.type AS event_type, e.occurred_at, e.customer_id,
              e.subject_type, e.subject_id, e.actor_id, e.data
       FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN outbox_events e ON e.seq = d.event_seq
       WHERE d.id IN (${marks}) ORDER BY d.event_seq`,
      list,
    );
  },

  /** Records the outcome of one attempt; false when the claim was lost meanwhile (cancelled, or reclaimed after a stall). */
  async settle(
    q: Queryable,
    id: string,
    attempts: number,
    outcome: { status: DeliveryStatus; nextAttemptAt?: string; lastStatus: number | null; lastError: string | null; now: string },
  ): Promise<boolean> {
    const r = await q.run(
      `UPDATE webhook_deliveries SET status = ?, next_attempt_at = COALESCE(?, next_attempt_at), locked_until = NULL,
         last_status = ?, last_error = ?,
         delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END,
         dead_at = CASE WHEN ? = 'dead' THEN ? ELSE dead_at END
       WHERE id = ? AND status = 'sending' AND attempts = ?`,
      [outcome.status, outcome.nextAttemptAt ?? null, outcome.lastStatus, outcome.lastError, outcome.status, outcome.now, outcome.status, outcome.now, id, attempts],
    );
    return r.changes > 0;
  },

  deadLetters(q: Queryable, limit: number, webhookId?: string) {
    return q.all<DeliveryJob>(
      `SELECT d.*, w.url, w.secret, w.active AS webhook_active, e.id AS event_id, e.type AS event_type, e.occurred_at, e.customer_id,
              e.subject_type, e.subject_id, e.actor_id, e.data
       FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN outbox_events e ON e.seq = d.event_seq
       WHERE d.status = 'dead' ${webhookId ? 'AND d.webhook_id = ?' : ''} ORDER BY d.dead_at DESC, d.event_seq DESC LIMIT ?`,
      webhookId ? [webhookId, limit] : [limit],
    );
  },

  delivery(q: Queryable, id: string) {
    return q.get<DeliveryRow & { webhook_active: number }>(
      'SELECT d.*, w.active AS webhook_active FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = ?',
      [id],
    );
  },

  deliveriesOf(q: Queryable, eventId: string) {
    return q.all<DeliveryRow>(
      'SELECT d.* FROM webhook_deliveries d JOIN outbox_events e ON e.seq = d.event_seq WHERE e.id = ? ORDER BY d.webhook_id',
      [eventId],
    );
  },

  /** Removes events older than `before` that every webhook has received (or that nobody subscribed to); returns how many. */
  async prune(q: Queryable, before: string): Promise<number> {
    const open = "SELECT 1 FROM webhook_deliveries d WHERE d.event_seq = e.seq AND d.status IN ('pending','sending','dead')";
    await q.run(
      `DELETE FROM webhook_deliveries WHERE event_seq IN (SELECT e.seq FROM outbox_events e WHERE e.occurred_at < ? AND NOT EXISTS (${open}))`,
      [before],
    );
    const r = await q.run(`DELETE FROM outbox_events WHERE occurred_at < ? AND NOT EXISTS (${open.replace('e.seq', 'outbox_events.seq')})`, [before]);
    return r.changes;
  },

  /** A dead letter back to the queue: due now, attempts from zero. */
  async replay(q: Queryable, id: string, now: string): Promise<boolean> {
    const r = await q.run(
      `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, dead_at = NULL, replays = replays + 1
       WHERE id = ? AND status = 'dead'`,
      [now, id],
    );
    return r.changes > 0;
  },
};

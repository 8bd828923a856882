import type { Database, Queryable } from '../db/database.js';
import { documentsRepository } from '../db/documents.repository.js';
import { outboxRepository, type OutboxRow } from '../db/outbox.repository.js';
import { retentionRepository } from '../db/retention.repository.js';
import { newId } from '../domain/ids.js';
import type { KeyPoints } from '../domain/document.js';
import { today, type Clock } from './clock.js';
import { placeRef } from './documents.service.js';

/** Every event type the outbox carries; webhooks subscribe to these (or to `document.*`, or to all). */
export const EVENT_TYPES = [
  'document.ready',
  'document.needs_review',
  'document.class_changed',
  'document.destroyed',
  'paper.registered',
  'status.set',
  'paper.moved',
  'retention.due',
  'customer.merged',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export type NewEvent = {
  type: EventType;
  subjectType: string;
  subjectId?: string | null;
  customerId?: string | null;
  actorId?: string | null;
  data?: Record<string, unknown>;
  /** When it happened (the caller's clock); defaults to now. */
  at?: string;
  /** Raises the event at most once per key (time-based events). */
  dedupeKey?: string;
};

/** The event as webhooks receive it and `GET /api/events` lists it. */
export type EventView = {
  id: string;
  sequence: number;
  type: string;
  occurredAt: string;
  customerId: string | null;
  subject: { type: string; id: string | null };
  actorId: string | null;
  data: Record<string, unknown>;
};

export function toEventView(r: Pick<OutboxRow, 'seq' | 'id' | 'type' | 'occurred_at' | 'customer_id' | 'subject_type' | 'subject_id' | 'actor_id' | 'data'>): EventView {
  return {
    id: r.id,
    sequence: r.seq,
    type: r.type,
    occurredAt: r.occurred_at,
    customerId: r.customer_id,
    subject: { type: r.subject_type, id: r.subject_id },
    actorId: r.actor_id,
    data: JSON.parse(r.data) as Record<string, unknown>,
  };
}

/**
 * The key points the CRM records for a document (number, date, amount, end date), from its fields.
 *
 *     keyPointsOf({ number: 'ORD-1', total: 120.5, endsOn: '2027-01-01' }, '2025-03-01')
 *     // { number: 'ORD-1', date: '2025-03-01', amount: 120.5, currency: null, endDate: '2027-01-01' }
 */
export function keyPointsOf(fields: KeyPoints, docDate: string | null) {
  return {
    number: typeof fields.number === 'string' ? fields.number : null,
    date: docDate,
    amount: typeof fields.total === 'number' ? fields.total : null,
    currency: typeof fields.currency === 'string' ? fields.currency : null,
    endDate: typeof fields.endsOn === 'string' ? fields.endsOn : typeof fields.validUntil === 'string' ? fields.validUntil : null,
  };
}
export type KeyPointsView = ReturnType<typeof keyPointsOf>;

/** What every document event carries: identity, class and key points (no text, no file). */
export async function documentSummary(q: Queryable, id: string) {
  const row = await documentsRepository.anyState(q, id);
  if (!row) return null;
  const fields = JSON.parse(row.fields) as KeyPoints;
  return {
    id: row.id,
    customerId: row.customer_id,
    type: row.type,
    class: row.class,
    status: row.status,
    title: row.title,
    barcode: row.barcode,
    docDate: row.doc_date,
    keyPoints: keyPointsOf(fields, row.doc_date),
    location: row.destroyed_at ? null : ((await placeRef(q, { locationId: row.location_id, userId: row.holder_user_id, dueBackOn: row.due_back_on }))?.path ?? null),
    retentionEndsOn: row.retention_ends_on,
    destroyedAt: row.destroyed_at,
  };
}

function subscribes(eventTypes: string, type: string): boolean {
  const wanted = JSON.parse(eventTypes) as string[];
  if (wanted.length === 0 || wanted.includes('*') || wanted.includes(type)) return true;
  return wanted.some((w) => w.endsWith('.*') && type.startsWith(w.slice(0, -1)));
}

const listeners = new Set<() => void>();

/**
 * Writes an event to the outbox through the caller's transaction handle, with one delivery per
 * subscribed webhook, so the event exists if and only if the change it reports commits. Events
 * about a document carry its summary (key points included). Returns the event id, or null when
 * the dedupe key was used before.
 *
 *     await db.tx(async (q) => { …change…; await events.emit(q, { type: 'status.set', subjectType: 'customer', subjectId: 'KL-000123', customerId: 'KL-000123', data: { name, value } }); });
 */
async function emit(q: Queryable, e: NewEvent): Promise<string | null> {
  const at = e.at ?? new Date().toISOString();
  let data = e.data ?? {};
  if (e.subjectType === 'document' && e.subjectId) data = { ...data, document: await documentSummary(q, e.subjectId) };
  const id = newId('evt', Date.parse(at) || Date.now());
  const seq = await outboxRepository.insertEvent(q, {
    id,
    type: e.type,
    occurred_at: at,
    customer_id: e.customerId ?? null,
    subject_type: e.subjectType,
    subject_id: e.subjectId ?? null,
    actor_id: e.actorId ?? null,
    data: JSON.stringify(data),
    dedupe_key: e.dedupeKey ?? null,
  });
  if (seq === null) return null;
  const now = new Date().toISOString();
  for (const w of await outboxRepository.activeWebhooks(q)) {
    if (subscribes(w.event_types, e.type)) await outboxRepository.insertDelivery(q, { id: newId('whd'), webhook_id: w.id, event_seq: seq, now });
  }
  // A dispatcher in this process claims through the writer lock the caller still holds, so it
  // sees the deliveries as soon as they commit, never before.
  for (const fn of listeners) {
    try {
      fn();
    } catch {
      // Waking up only speeds delivery up; the next poll finds the rows regardless.
    }
  }
  return id;
}

/**
 * Raises `retention.due` once per document and end date for live documents whose retention
 * (extensions included) has ended by today. Idempotent: run it as often as you like.
 *
 *     await raiseRetentionDue(db, clock) // 3
 */
async function raiseRetentionDue(db: Database, clock: Clock): Promise<number> {
  const day = today(clock);
  let raised = 0;
  for (;;) {
    const rows = await retentionRepository.dueUnannounced(db, day, 500);
    if (rows.length === 0) return raised;
    const before = raised;
    // Counted from the callback's result: PostgreSQL may run it again after a conflict.
    raised += await db.tx(async (q) => {
      let n = 0;
      for (const r of rows) {
        const id = await emit(q, {
          type: 'retention.due',
          subjectType: 'document',
          subjectId: r.id,
          customerId: r.customer_id,
          actorId: 'system',
          at: clock.now().toISOString(),
          dedupeKey: `retention.due:${r.id}:${r.ends_on}`,
          data: { endsOn: r.ends_on, disposition: r.disposition, legalBasis: r.legal_basis },
        });
        if (id) n++;
      }
      return n;
    });
    // Nothing new in a whole batch means the query and the keys disagree: stop rather than spin.
    if (raised === before) return raised;
  }
}

/** How long delivered events stay readable in `GET /api/events`; undelivered and dead ones stay until settled. */
export const OUTBOX_KEEP_DAYS = 90;

/** The outbox. `emit` inside the caller's transaction; `onEmitted` wakes a dispatcher in this process. */
export const events = {
  emit,
  raiseRetentionDue,
  /** Drops events older than OUTBOX_KEEP_DAYS that were delivered everywhere: they hold personal data. */
  prune(db: Database, clock: Clock, days = OUTBOX_KEEP_DAYS): Promise<number> {
    const before = new Date(clock.now().getTime() - days * 86_400_000).toISOString();
    return db.tx((q) => outboxRepository.prune(q, before));
  },
  onEmitted(fn: () => void): () => void {
    listeners.add(fn);
    return () => listeners.delete(fn);
  },
  async list(db: Queryable, after: number, limit: number, types?: string[]): Promise<EventView[]> {
    return (await outboxRepository.eventsAfter(db, after, limit, types)).map(toEventView);
  },
};

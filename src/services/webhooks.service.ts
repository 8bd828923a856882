import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { outboxRepository, type DeliveryJob, type WebhookRow } from '../db/outbox.repository.js';
import { newId } from '../domain/ids.js';
import type { Principal } from '../domain/roles.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import { WebhookDispatcher, type RetryPolicy } from '../jobs/webhook-delivery.job.js';
import type { AuditService } from './audit.service.js';
import { assertReachable, BlockedAddress } from '../adapters/net/pinned-agent.js';
import type { AllowList } from '../domain/address-policy.js';
import { nowIso, type Clock } from './clock.js';
import { EVENT_TYPES, events, toEventView } from './events.service.js';

export type WebhookInput = { url: string; events?: string[]; description?: string | null; secret?: string };

function toWebhookView(w: WebhookRow & { pending?: number; dead?: number; delivered?: number }) {
  return {
    id: w.id,
    url: w.url,
    events: JSON.parse(w.event_types) as string[],
    description: w.description,
    secretHint: `${w.secret.slice(0, 6)}…${w.secret.slice(-4)}`,
    createdAt: w.created_at,
    createdBy: w.created_by,
    deliveries: { pending: w.pending ?? 0, delivered: w.delivered ?? 0, dead: w.dead ?? 0 },
  };
}
export type WebhookView = ReturnType<typeof toWebhookView>;

function toDeadLetterView(d: DeliveryJob) {
  return {
    id: d.id,
    webhookId: d.webhook_id,
    url: d.url,
    webhookActive: Boolean(d.webhook_active),
    attempts: d.attempts,
    lastStatus: d.last_status,
    lastError: d.last_error,
    lastAttemptAt: d.last_attempt_at,
    deadAt: d.dead_at,
    replays: d.replays,
    event: toEventView({ seq: d.event_seq, id: d.event_id, type: d.event_type, occurred_at: d.occurred_at, customer_id: d.customer_id, subject_type: d.subject_type, subject_id: d.subject_id, actor_id: d.actor_id, data: d.data }),
  };
}
export type DeadLetterView = ReturnType<typeof toDeadLetterView>;

const HOUR = 3_600_000;

/**
 * Webhook registrations, the dead-letter list and its replay. Delivery itself is the
 * WebhookDispatcher's; this service also raises the time-based `retention.due` events and prunes
 * old delivered events, hourly.
 */
export class WebhooksService {
  readonly dispatcher: WebhookDispatcher;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly logger?: Logger,
    policy?: Partial<RetryPolicy>,
    /** Address ranges webhooks may reach although they are internal (DOSSIER_WEBHOOK_ALLOW). */
    private readonly allow: AllowList = [],
  ) {
    this.dispatcher = new WebhookDispatcher({ db, clock, logger, policy, allow });
  }

  /** Starts delivery and the hourly retention-due pass. */
  start(): void {
    this.dispatcher.start();
    const pass = () =>
      events
        .raiseRetentionDue(this.db, this.clock)
        .then(async (n) => {
          if (n) this.logger?.info({ raised: n }, 'retention.due events raised');
          const pruned = await events.prune(this.db, this.clock);
          if (pruned) this.logger?.info({ pruned }, 'old delivered events pruned from the outbox');
        })
        .catch((err: unknown) => this.logger?.error({ err: { message: (err as Error).message } }, 'hourly outbox pass failed'));
    void pass();
    clearInterval(this.timer);
    this.timer = setInterval(() => void pass(), HOUR);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.dispatcher.stop();
  }

  async create(input: WebhookInput, actor: Principal): Promise<WebhookView & { secret: string }> {
    let url: URL;
    try {
      url = new URL(input.url);
    } catch {
      throw new Invalid('url is not a URL', { url: input.url }, 'invalid_url');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Invalid('A webhook URL must be http(s)', { url: input.url }, 'invalid_url');
    if (url.username || url.password) throw new Invalid('Put no credentials in a webhook URL: deliveries are signed with the secret', undefined, 'invalid_url');
    // A name is checked again at every delivery, when it is resolved; a literal address can be refused now.
    try {
      assertReachable(url, this.allow);
    } catch (err) {
      if (err instanceof BlockedAddress) throw new Invalid(`A webhook may not point at ${err.address} (${err.range}); an on-premise receiver needs DOSSIER_WEBHOOK_ALLOW`, { address: err.address, range: err.range }, 'forbidden_address');
      throw err;
    }
    const types = [...new Set(input.events ?? [])];
    const unknown = types.filter((t) => t !== '*' && !EVENT_TYPES.includes(t as never) && !(t.endsWith('.*') && EVENT_TYPES.some((e) => e.startsWith(t.slice(0, -1)))));
    if (unknown.length) throw new Invalid(`Unknown event type(s): ${unknown.join(', ')}; known: ${EVENT_TYPES.join(', ')} (or a prefix like document.*)`, { unknown }, 'unknown_event_type');
    const secret = input.secret ?? `whsec_${randomBytes(32).toString('base64url')}`;
    const row = {
      id: newId('whk', this.clock.now().getTime()),
      url: url.toString(),
      secret,
      event_types: JSON.stringify(types),
      description: input.description ?? null,
      created_by: actor.id,
      created_at: nowIso(this.clock),
    };
    await this.db.tx(async (q) => {
      await outboxRepository.insertWebhook(q, row);
      await this.audit.record(q, { actorId: actor.id, action: 'webhook.create', subjectType: 'webhook', subjectId: row.id, details: { url: row.url, events: types } });
    });
    return { ...toWebhookView({ ...row, active: 1, deleted_at: null, deleted_by: null }), secret };
  }

  async list(): Promise<WebhookView[]> {
    return (await outboxRepository.webhooks(this.db)).map(toWebhookView);
  }

  async remove(id: string, actor: Principal): Promise<void> {
    await this.db.tx(async (q) => {
      if (!(await outboxRepository.deleteWebhook(q, id, actor.id, nowIso(this.clock)))) throw new NotFound('webhook', id);
      await this.audit.record(q, { actorId: actor.id, action: 'webhook.delete', subjectType: 'webhook', subjectId: id });
    });
  }

  async deadLetters(limit = 100, webhookId?: string): Promise<DeadLetterView[]> {
    return (await outboxRepository.deadLetters(this.db, limit, webhookId)).map(toDeadLetterView);
  }

  /** An operator sends a dead letter again: due now, with a fresh set of attempts. */
  async replay(id: string, actor: Principal): Promise<{ id: string; status: 'pending' }> {
    await this.db.tx(async (q) => {
      const d = await outboxRepository.delivery(q, id);
      if (!d) throw new NotFound('dead letter', id);
      if (d.status !== 'dead') throw new Conflict(`Delivery ${id} is ${d.status}, not a dead letter`, { status: d.status }, 'not_dead_letter');
      if (!d.webhook_active) throw new Conflict('The webhook of this dead letter was deleted; register it again to receive events', undefined, 'webhook_deleted');
      await outboxRepository.replay(q, id, nowIso(this.clock));
      await this.audit.record(q, { actorId: actor.id, action: 'webhook.replay', subjectType: 'webhook_delivery', subjectId: id, details: { webhookId: d.webhook_id, eventSeq: d.event_seq } });
    });
    this.dispatcher.notify();
    return { id, status: 'pending' };
  }

  /** Deliveries of one event, per webhook (for support: "did the CRM get it?"). */
  async deliveriesOf(eventId: string) {
    return (await outboxRepository.deliveriesOf(this.db, eventId)).map((d) => ({
      id: d.id,
      webhookId: d.webhook_id,
      status: d.status,
      attempts: d.attempts,
      lastStatus: d.last_status,
      lastError: d.last_error,
      deliveredAt: d.delivered_at,
    }));
  }
}

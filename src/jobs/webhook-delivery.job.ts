import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { outboxRepository, type DeliveryJob } from '../db/outbox.repository.js';
import type { Clock } from '../services/clock.js';
import { assertReachable, BlockedAddress, pinnedAgents } from '../adapters/net/pinned-agent.js';
import type { AllowList } from '../domain/address-policy.js';
import { restrictionRepository } from '../db/restriction.repository.js';
import { events, toEventView } from '../services/events.service.js';

export const SIGNATURE_HEADER = 'X-Dossierlink-Signature';
export const TIMESTAMP_HEADER = 'X-Dossierlink-Timestamp';

/**
 * The signature of a delivery: HMAC-SHA256 with the webhook's secret over `<timestamp>.<raw body>`,
 * so the timestamp cannot be swapped to replay an old body.
 *
 *     signPayload('whsec_…', 1767225600, '{"id":"evt_…"}') // 'sha256=5f2c…'
 */
export function signPayload(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does: recompute the signature over the raw body and refuse stale timestamps.
 *
 *     verifySignature({ secret, body, timestamp: req.headers['x-dossierlink-timestamp'], signature: req.headers['x-dossierlink-signature'] })
 */
export function verifySignature(v: { secret: string; body: string; timestamp: string | undefined; signature: string | undefined; toleranceSec?: number; nowSec?: number }): boolean {
  if (!v.timestamp || !v.signature || !/^\d{1,12}$/.test(v.timestamp)) return false;
  const ts = Number(v.timestamp);
  const now = v.nowSec ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - ts) > (v.toleranceSec ?? 300)) return false;
  const expected = Buffer.from(signPayload(v.secret, ts, v.body));
  const given = Buffer.from(v.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export type RetryPolicy = {
  /** Delay before the second attempt; doubles per attempt (with jitter) up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** After this many failed attempts the delivery is a dead letter. */
  maxAttempts: number;
  /** Per attempt; a receiver slower than this counts as failed. */
  timeoutMs: number;
};

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 10_000, maxDelayMs: 3_600_000, maxAttempts: 12, timeoutMs: 10_000 };

/**
 * Delay after failed attempt number `attempts`: base × 2^(attempts-1), capped, with equal jitter.
 *
 *     backoffMs(3, DEFAULT_RETRY_POLICY, () => 1) // 40000
 */
export function backoffMs(attempts: number, p: RetryPolicy, random: () => number = Math.random): number {
  const nominal = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(nominal / 2 + (random() * nominal) / 2);
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * POSTs `body` and resolves with the status code only: the receiver's answer is drained unread
 * and never kept (a receiver could otherwise echo internal data into our database). No redirects
 * are followed. The agents pin each connection to an address the policy allows.
 */
function post(url: URL, headers: Record<string, string>, body: string, agents: ReturnType<typeof pinnedAgents>, allow: AllowList, signal: AbortSignal): Promise<number> {
  assertReachable(url, allow);
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      { method: 'POST', agent: url.protocol === 'https:' ? agents.https : agents.http, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, signal },
      (res) => {
        res.resume();
        res.on('error', () => undefined);
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Delivers the outbox to webhooks: claims due deliveries (compare-and-swap, so two processes never
 * send the same attempt), POSTs the event signed, and records the outcome: delivered, retry later
 * with backoff, or dead letter after `maxAttempts`. At least once: a crash between the receiver's
 * 2xx and the write of `delivered` sends the event again, with the same event id.
 * Runs beside the OCR job runner so a slow receiver never holds up scanning, and the reverse.
 */
export class WebhookDispatcher {
  policy: RetryPolicy;
  private readonly db: Database;
  private readonly clock: Clock;
  private readonly logger?: Logger;
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly userAgent: string;
  private readonly allow: AllowList;
  private readonly agents: ReturnType<typeof pinnedAgents>;
  private running: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private woken = false;
  private unsubscribe: (() => void) | null = null;

  constructor(opts: { db: Database; clock: Clock; logger?: Logger; policy?: Partial<RetryPolicy>; concurrency?: number; pollMs?: number; userAgent?: string; allow?: AllowList }) {
    this.allow = opts.allow ?? [];
    this.agents = pinnedAgents(this.allow);
    this.db = opts.db;
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...opts.policy };
    this.concurrency = opts.concurrency ?? 4;
    this.pollMs = opts.pollMs ?? 1000;
    this.userAgent = opts.userAgent ?? 'Dossierlink-Webhooks';
  }

  /** Starts the delivery loop (idempotent). */
  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.unsubscribe = events.onEmitted(() => this.notify());
    this.running = this.loop();
  }

  /** Stops claiming; attempts in flight finish (each is bounded by the timeout). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.notify();
    await this.running;
    this.running = null;
  }

  notify(): void {
    this.woken = true;
    this.wake?.();
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.woken = false;
      let n = 0;
      try {
        n = await this.runOnce();
      } catch (err) {
        this.logger?.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'webhook dispatch failed');
      }
      if (n === 0 && !this.woken && !this.stopping) {
        // Sleep until the next retry falls due, or a poll interval at most (another process may add work).
        const next = await outboxRepository.nextDueAt(this.db).catch(() => null);
        const wait = next ? Math.max(0, Math.min(this.pollMs, Date.parse(next) - this.clock.now().getTime())) : this.pollMs;
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, wait);
          function done() {
            clearTimeout(t);
            resolve();
          }
          this.wake = done;
        });
        this.wake = null;
      }
    }
  }

  /** Claims and sends one batch of due deliveries; returns how many were attempted. */
  async runOnce(): Promise<number> {
    const now = this.clock.now();
    const iso = now.toISOString();
    if (!(await outboxRepository.anyDue(this.db, iso))) return 0;
    const lockedUntil = new Date(now.getTime() + this.policy.timeoutMs + 60_000).toISOString();
    const batch = await this.db.tx((q) => outboxRepository.claimDue(q, iso, lockedUntil, this.concurrency));
    await Promise.all(batch.map((d) => this.deliver(d)));
    return batch.length;
  }

  private async deliver(d: DeliveryJob): Promise<void> {
    const started = performance.now();
    let status: number | null = null;
    let error: string | null = null;
    if (!d.webhook_active) {
      await outboxRepository.settle(this.db, d.id, d.attempts, { status: 'cancelled', lastStatus: null, lastError: 'webhook deleted', now: this.clock.now().toISOString() });
      return;
    }
    // GDPR art. 18: nothing about a restricted customer leaves for other systems.
    if (d.customer_id && (await restrictionRepository.customerRestricted(this.db, d.customer_id))) {
      await outboxRepository.settle(this.db, d.id, d.attempts, { status: 'cancelled', lastStatus: null, lastError: 'customer restricted (GDPR art. 18)', now: this.clock.now().toISOString() });
      return;
    }
    const body = JSON.stringify(toEventView({ seq: d.event_seq, id: d.event_id, type: d.event_type, occurred_at: d.occurred_at, customer_id: d.customer_id, subject_type: d.subject_type, subject_id: d.subject_id, actor_id: d.actor_id, data: d.data }));
    const timestamp = Math.floor(this.clock.now().getTime() / 1000);
    const signal = AbortSignal.timeout(this.policy.timeoutMs);
    try {
      status = await post(
        new URL(d.url),
        {
          'content-type': 'application/json',
          'user-agent': this.userAgent,
          'x-dossierlink-event-id': d.event_id,
          'x-dossierlink-event-type': d.event_type,
          'x-dossierlink-delivery-id': d.id,
          'x-dossierlink-attempt': String(d.attempts),
          [TIMESTAMP_HEADER.toLowerCase()]: String(timestamp),
          [SIGNATURE_HEADER.toLowerCase()]: signPayload(d.secret, timestamp, body),
        },
        body,
        this.agents,
        this.allow,
        signal,
      );
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (err) {
      const e = err as Error & { code?: string };
      if (e instanceof BlockedAddress) error = `blocked: ${e.message}`.slice(0, 300);
      else if (signal.aborted) error = `no answer within ${this.policy.timeoutMs} ms`;
      else error = `${e.code ?? e.name}: ${e.message}`.slice(0, 300);
    }
    const now = this.clock.now();
    const ms = Math.round(performance.now() - started);
    if (!error) {
      await outboxRepository.settle(this.db, d.id, d.attempts, { status: 'delivered', lastStatus: status, lastError: null, now: now.toISOString() });
      this.logger?.info({ delivery: d.id, event: d.event_id, webhook: d.webhook_id, attempt: d.attempts, ms }, 'webhook delivered');
      return;
    }
    const dead = d.attempts >= this.policy.maxAttempts;
    await outboxRepository.settle(this.db, d.id, d.attempts, {
      status: dead ? 'dead' : 'pending',
      nextAttemptAt: dead ? undefined : new Date(now.getTime() + backoffMs(d.attempts, this.policy)).toISOString(),
      lastStatus: status,
      lastError: error,
      now: now.toISOString(),
    });
    (dead ? this.logger?.error : this.logger?.warn)?.call(this.logger, { delivery: d.id, event: d.event_id, webhook: d.webhook_id, attempt: d.attempts, ms, status }, dead ? 'webhook dead letter' : 'webhook attempt failed');
  }

  /** Test and CLI helper: runs batches until nothing is due (or `maxMs` passed). */
  async drain(maxMs = 10_000): Promise<void> {
    const until = Date.now() + maxMs;
    while (Date.now() < until && (await this.runOnce()) > 0) await delay(0);
  }
}

import type { Database } from '../db/database.js';
import { documentsRepository } from '../db/documents.repository.js';
import { NotFound, Conflict } from '../errors.js';
import type { Job, JobQueuePort } from './job-queue.port.js';
import type { AuditService } from './audit.service.js';
import { nowIso, type Clock } from './clock.js';
import type { Principal } from '../domain/roles.js';

/**
 * Keeps document status and the job queue in step: the operator's retry, and the start-up
 * reconciliation after a crash (a document whose ingest job died on its last attempt becomes
 * `failed`; one whose job was put back becomes `queued`), so every accepted document reaches a
 * final status and none sits in `processing` forever.
 */
export class PipelineService {
  constructor(
    private readonly db: Database,
    private readonly queue: JobQueuePort,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async recoverAfterRestart(olderThanMs = 0): Promise<{ requeued: number; failed: number; documentsFailed: number; documentsRequeued: number }> {
    // 0 when this process is the queue's only user; a shared queue passes a lock age (see process-roles.ts).
    const jobs = await this.queue.recoverStale(olderThanMs);
    const now = nowIso(this.clock);
    return this.db.tx(async (q) => {
      const documentsFailed = await documentsRepository.failWhereIngestFailed(q, now);
      const documentsRequeued = await documentsRepository.requeueWhereIngestQueued(q, now);
      return { ...jobs, documentsFailed, documentsRequeued };
    });
  }

  /** Operator: retry a failed job; a failed document goes back to `queued` with it. */
  async retry(jobId: string, actor: Principal) {
    const job = await this.queue.get<{ documentId?: string }>(jobId);
    if (!job) throw new NotFound('job', jobId);
    if (job.status !== 'failed') throw new Conflict(`Only a failed job can be retried; this one is ${job.status}`, { status: job.status }, 'not_failed');
    await this.requeue(job, actor);
    return (await this.queue.get(jobId))!;
  }

  /**
   * Operator, after an outage (the object store or the database was away and every job on it
   * failed): every failed job back in the queue at once, optionally of one kind, each as `retry`
   * does it (its document queued again, audited). At most RETRY_ALL_MAX a call; a job another
   * operator retried meanwhile is skipped.
   *
   *     await pipeline.retryAllFailed(actor, { kind: 'ingest' }) // { retried: 12, remaining: 0 }
   */
  async retryAllFailed(actor: Principal, f: { kind?: string } = {}): Promise<{ retried: number; remaining: number }> {
    const failed = await this.queue.list({ status: 'failed', kind: f.kind, limit: RETRY_ALL_MAX, offset: 0 });
    let retried = 0;
    for (const job of failed as Job<{ documentId?: string }>[]) if (await this.requeue(job, actor)) retried++;
    const counts = await this.queue.counts();
    const remaining = f.kind ? (counts.byKind[f.kind]?.failed ?? 0) : counts.byStatus.failed;
    return { retried, remaining };
  }

  /** A failed job and its document back in the queue, audited; false if it was no longer failed. */
  private async requeue(job: Job<{ documentId?: string }>, actor: Principal): Promise<boolean> {
    await this.db.tx(async (q) => {
      if (job.kind === 'ingest' && job.payload.documentId) {
        await documentsRepository.requeueFailed(q, job.payload.documentId, nowIso(this.clock));
      }
      await this.audit.record(q, { actorId: actor.id, action: 'job.retry', subjectType: 'job', subjectId: job.id, details: { kind: job.kind } });
    });
    return this.queue.retry(job.id);
  }
}

/** Failed jobs one `retryAllFailed` call puts back: the jobs list's own page limit. */
export const RETRY_ALL_MAX = 500;

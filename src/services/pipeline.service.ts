import type { Database } from '../db/database.js';
import { documentsRepository } from '../db/documents.repository.js';
import { NotFound, Conflict } from '../errors.js';
import type { JobQueuePort } from './job-queue.port.js';
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

  async recoverAfterRestart(): Promise<{ requeued: number; failed: number; documentsFailed: number; documentsRequeued: number }> {
    const jobs = await this.queue.recoverStale(0);
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
    await this.db.tx(async (q) => {
      if (job.kind === 'ingest' && job.payload.documentId) {
        await documentsRepository.requeueFailed(q, job.payload.documentId, nowIso(this.clock));
      }
      await this.audit.record(q, { actorId: actor.id, action: 'job.retry', subjectType: 'job', subjectId: jobId, details: { kind: job.kind } });
    });
    await this.queue.retry(jobId);
    return (await this.queue.get(jobId))!;
  }
}

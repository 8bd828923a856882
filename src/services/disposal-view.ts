import type { Queryable } from '../db/database.js';
import { documentsRepository } from '../db/documents.repository.js';
import { retentionRepository, type DisposalItemRow, type DisposalRow } from '../db/retention.repository.js';
import { usersRepository } from '../db/users.repository.js';
import { NotFound } from '../errors.js';
import { locateDocument } from './documents.service.js';

// The read side of a disposal, shared by the workflow (disposal.service.ts) and its execution
// (disposal-execution.service.ts): how a disposal is shown changes apart from how it proceeds.

/** The disposal or NotFound. */
export async function requireDisposal(q: Queryable, id: string): Promise<DisposalRow> {
  const d = await retentionRepository.getDisposal(q, id);
  if (!d) throw new NotFound('disposal', id);
  return d;
}

/** A user as `{ id, name }` (the id when the account is gone). */
export async function personOf(q: Queryable, id: string | null) {
  if (!id) return null;
  return { id, name: (await usersRepository.get(q, id))?.name ?? id };
}

/** A disposal with its items, people by name and counts: what the API, the UI and the certificate show. */
export async function disposalView(q: Queryable, d: DisposalRow, items: DisposalItemRow[]) {
  const people = new Map<string, { id: string; name: string } | null>();
  const person = async (id: string | null) => {
    if (!id) return null;
    if (!people.has(id)) people.set(id, await personOf(q, id));
    return people.get(id)!;
  };
  const counts = { total: items.length, pending: 0, destroyed: 0, transferred: 0, extended: 0, skipped: 0, paperPending: 0, reviewUndecided: 0 };
  for (const i of items) {
    counts[i.status]++;
    if (i.status === 'pending' && i.medium === 'paper') counts.paperPending++;
    if (i.disposition === 'review' && !i.decision) counts.reviewUndecided++;
  }
  const itemViews = [];
  for (const i of items) {
    // The second officer judges by title and where the paper is now (checked out and overdue is a warning).
    const live = i.status === 'pending' ? await documentsRepository.get(q, i.document_id) : undefined;
    itemViews.push({
      title: live?.title ?? null,
      location: live ? await locateDocument(q, live) : null,
      documentId: i.document_id,
      barcode: i.barcode,
      type: i.type,
      customerId: i.customer_id,
      docDate: i.doc_date,
      medium: i.medium,
      disposition: i.disposition,
      decision: i.decision,
      extendUntil: i.extend_until,
      decisionNote: i.decision_note,
      decidedBy: await person(i.decided_by),
      status: i.status,
      method: i.method,
      objectsRemoved: i.objects_removed,
      doneAt: i.done_at,
      doneBy: await person(i.done_by),
      note: i.note,
      retention: { legalBasis: i.legal_basis, period: i.period, endsOn: i.ends_on },
      locationPath: i.location_path,
    });
  }
  return {
    id: d.id,
    kind: d.kind,
    status: d.status,
    reason: d.reason,
    dueBefore: d.due_before,
    customerId: d.customer_id,
    proposedBy: (await person(d.proposed_by))!,
    proposedAt: d.proposed_at,
    approvedBy: await person(d.approved_by),
    approvedAt: d.approved_at,
    executedBy: await person(d.executed_by),
    executedAt: d.executed_at,
    completedAt: d.completed_at,
    cancelledBy: await person(d.cancelled_by),
    cancelledAt: d.cancelled_at,
    cancelReason: d.cancel_reason,
    progress: JSON.parse(d.progress) as Record<string, unknown>,
    counts,
    items: itemViews,
  };
}

export type DisposalView = Awaited<ReturnType<typeof disposalView>>;

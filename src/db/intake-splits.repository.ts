import type { Queryable } from './database.js';

export type SplitPartRow = { document_id: string; part_no: number; kind: 'document' | 'paper' | 'coupon' | 'duplicate'; pages: string; result: string; created_at: string };
export type SplitRow = { document_id: string; stack_sha256: string; stack_mime: string; page_count: number; sheets: number; parts: string; created_at: string };

/** Stacks split by barcodes at intake, and their parts. */
export const intakeSplitsRepository = {
  part(q: Queryable, documentId: string, partNo: number) {
    return q.get<SplitPartRow>('SELECT * FROM intake_split_parts WHERE document_id = ? AND part_no = ?', [documentId, partNo]);
  },
  parts(q: Queryable, documentId: string) {
    return q.all<SplitPartRow>('SELECT * FROM intake_split_parts WHERE document_id = ? ORDER BY part_no', [documentId]);
  },
  async insertPart(q: Queryable, r: SplitPartRow): Promise<void> {
    await q.run('INSERT INTO intake_split_parts (document_id, part_no, kind, pages, result, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
      r.document_id,
      r.part_no,
      r.kind,
      r.pages,
      r.result,
      r.created_at,
    ]);
  },
  get(q: Queryable, documentId: string) {
    return q.get<SplitRow>('SELECT * FROM intake_splits WHERE document_id = ?', [documentId]);
  },
  byStack(q: Queryable, sha256: string) {
    return q.get<SplitRow>('SELECT * FROM intake_splits WHERE stack_sha256 = ? ORDER BY created_at LIMIT 1', [sha256]);
  },
  async insert(q: Queryable, r: SplitRow): Promise<void> {
    await q.run(
      'INSERT INTO intake_splits (document_id, stack_sha256, stack_mime, page_count, sheets, parts, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(document_id) DO NOTHING',
      [r.document_id, r.stack_sha256, r.stack_mime, r.page_count, r.sheets, r.parts, r.created_at],
    );
  },
  /** Removes the provisional document a stack was taken in as, when every page went elsewhere; only while it was never processed. */
  async removeProvisional(q: Queryable, documentId: string): Promise<number> {
    return (await q.run("DELETE FROM documents WHERE id = ? AND status IN ('queued','processing') AND archive_sha256 IS NULL", [documentId])).changes;
  },
};

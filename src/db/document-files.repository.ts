import type { Queryable } from './database.js';

export type DocumentFileRole = 'e-invoice-xml';
export type DocumentFileRow = { document_id: string; role: DocumentFileRole; sha256: string; mime: string; name: string | null; format: string | null; created_at: string };

/** Files kept with a document besides its original and archive copy. */
export const documentFilesRepository = {
  /** Records (or, on a re-run of the job, replaces) the file of a role. */
  async put(q: Queryable, f: DocumentFileRow): Promise<void> {
    await q.run(
      `INSERT INTO document_files (document_id, role, sha256, mime, name, format, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (document_id, role) DO UPDATE SET sha256 = excluded.sha256, mime = excluded.mime, name = excluded.name, format = excluded.format`,
      [f.document_id, f.role, f.sha256, f.mime, f.name, f.format, f.created_at],
    );
  },

  async get(q: Queryable, documentId: string, role: DocumentFileRole): Promise<DocumentFileRow | undefined> {
    return q.get<DocumentFileRow>('SELECT * FROM document_files WHERE document_id = ? AND role = ?', [documentId, role]);
  },

  async list(q: Queryable, documentId: string): Promise<DocumentFileRow[]> {
    return q.all<DocumentFileRow>('SELECT * FROM document_files WHERE document_id = ? ORDER BY role', [documentId]);
  },

  /** True when another live document still refers to the object (as original, archive or kept file). */
  async sharedElsewhere(q: Queryable, documentId: string, sha256: string): Promise<boolean> {
    const r = await q.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM document_files f JOIN documents d ON d.id = f.document_id
        WHERE f.sha256 = ? AND f.document_id <> ? AND d.destroyed_at IS NULL`,
      [sha256, documentId],
    );
    return r!.n > 0;
  },

  async removeAll(q: Queryable, documentId: string): Promise<void> {
    await q.run('DELETE FROM document_files WHERE document_id = ?', [documentId]);
  },
};

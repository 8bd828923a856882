import type { Queryable } from './database.js';

export type DigitisationRow = { document_id: string; reason: string; requested_by: string; at: string; previous_class: string };

/** Static paper scanned on demand: the reason stays with the document through every re-ingest. */
export const digitisationsRepository = {
  insert(q: Queryable, d: DigitisationRow) {
    return q.run('INSERT INTO digitisations (document_id, reason, requested_by, at, previous_class) VALUES (?, ?, ?, ?, ?)', [
      d.document_id,
      d.reason,
      d.requested_by,
      d.at,
      d.previous_class,
    ]);
  },
  get(q: Queryable, documentId: string) {
    return q.get<DigitisationRow>('SELECT * FROM digitisations WHERE document_id = ?', [documentId]);
  },
};

import type { Queryable } from './database.js';

export type ReservedBarcodeRow = {
  barcode: string;
  batch_id: string;
  reserved_by: string;
  reserved_at: string;
  document_id: string | null;
  used_at: string | null;
};

/** Pre-printed document codes, reserved from the same counter that numbers registered paper. */
export const blankCodesRepository = {
  /**
   * Takes `count` numbers from a sequence at once; returns the first. Call inside a transaction.
   * Shares the counter with sequencesRepository.next, so a reserved number is never issued again.
   */
  async reserveRange(q: Queryable, sequence: string, count: number): Promise<number> {
    const row = await q.get<{ value: number }>(
      'INSERT INTO sequences (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = sequences.value + excluded.value RETURNING value',
      [sequence, count],
    );
    return row!.value - count + 1;
  },

  async insert(q: Queryable, rows: Pick<ReservedBarcodeRow, 'barcode' | 'batch_id' | 'reserved_by' | 'reserved_at'>[]): Promise<void> {
    for (const r of rows) {
      await q.run('INSERT INTO reserved_barcodes (barcode, batch_id, reserved_by, reserved_at) VALUES (?, ?, ?, ?)', [r.barcode, r.batch_id, r.reserved_by, r.reserved_at]);
    }
  },

  get(q: Queryable, barcode: string) {
    return q.get<ReservedBarcodeRow>('SELECT * FROM reserved_barcodes WHERE barcode = ?', [barcode]);
  },

  /** Marks a reserved code used; false when it was used already (or never reserved). */
  async markUsed(q: Queryable, barcode: string, documentId: string, at: string): Promise<boolean> {
    const r = await q.run('UPDATE reserved_barcodes SET document_id = ?, used_at = ? WHERE barcode = ? AND document_id IS NULL', [documentId, at, barcode]);
    return r.changes === 1;
  },
};

import type { Queryable } from './database.js';

export type InventoryAuditRow = {
  id: string;
  location_id: string;
  status: 'open' | 'finished';
  place_id: string | null;
  container_id: string | null;
  started_by: string;
  started_at: string;
  finished_by: string | null;
  finished_at: string | null;
  corrected: number;
  report: string | null;
};

export type AuditScanRow = { audit_id: string; barcode: string; found_in_id: string | null; scanned_by: string; scanned_at: string };

/** Inventory audits of a shelf or box and the codes scanned in them. */
export const inventoryRepository = {
  insert(q: Queryable, a: Pick<InventoryAuditRow, 'id' | 'location_id' | 'started_by' | 'started_at'>) {
    return q.run("INSERT INTO inventory_audits (id, location_id, status, place_id, started_by, started_at) VALUES (?, ?, 'open', ?, ?, ?)", [
      a.id,
      a.location_id,
      a.location_id,
      a.started_by,
      a.started_at,
    ]);
  },

  get(q: Queryable, id: string) {
    return q.get<InventoryAuditRow>('SELECT * FROM inventory_audits WHERE id = ?', [id]);
  },

  openAt(q: Queryable, locationId: string) {
    return q.get<InventoryAuditRow>("SELECT * FROM inventory_audits WHERE location_id = ? AND status = 'open'", [locationId]);
  },

  setContext(q: Queryable, id: string, placeId: string, containerId: string | null) {
    return q.run('UPDATE inventory_audits SET place_id = ?, container_id = ? WHERE id = ?', [placeId, containerId, id]);
  },

  /** Records a scan; scanning a code again moves it to where it was scanned last. */
  upsertScan(q: Queryable, s: AuditScanRow) {
    return q.run(
      `INSERT INTO inventory_audit_scans (audit_id, barcode, found_in_id, scanned_by, scanned_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(audit_id, barcode) DO UPDATE SET found_in_id = excluded.found_in_id, scanned_by = excluded.scanned_by, scanned_at = excluded.scanned_at`,
      [s.audit_id, s.barcode, s.found_in_id, s.scanned_by, s.scanned_at],
    );
  },

  scans(q: Queryable, auditId: string) {
    return q.all<AuditScanRow>('SELECT * FROM inventory_audit_scans WHERE audit_id = ? ORDER BY scanned_at, barcode', [auditId]);
  },

  countScans(q: Queryable, auditId: string) {
    return q.get<{ n: number }>('SELECT COUNT(*) AS n FROM inventory_audit_scans WHERE audit_id = ?', [auditId]).then((r) => r?.n ?? 0);
  },

  /** Closes an open audit with its report; false when it was finished already. */
  async finish(q: Queryable, id: string, f: { by: string; at: string; corrected: boolean; report: string }): Promise<boolean> {
    const r = await q.run(
      "UPDATE inventory_audits SET status = 'finished', finished_by = ?, finished_at = ?, corrected = ?, report = ? WHERE id = ? AND status = 'open'",
      [f.by, f.at, f.corrected ? 1 : 0, f.report, id],
    );
    return r.changes === 1;
  },
};

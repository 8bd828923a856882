import type { Database, Params } from '../../src/db/database.js';

/**
 * Does what an attacker with write access to the SQLite file can do: drop the triggers that
 * make audit rows append-only, then change them. Tests of verification use this; the
 * application itself can no longer change or delete an audit row.
 */
export async function tamperWithAudit(db: Database, sql: string, params?: Params): Promise<void> {
  for (const t of ['audit_events_no_update', 'audit_events_no_delete', 'audit_keying_no_update', 'audit_keying_no_delete']) {
    // PostgreSQL names a trigger within its table.
    const on = db.dialect === 'postgres' ? ` ON ${t.replace(/_no_(update|delete)$/, '')}` : '';
    await db.run(`DROP TRIGGER IF EXISTS ${t}${on}`);
  }
  await db.run(sql, params);
}

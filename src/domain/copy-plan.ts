/**
 * How to copy an embedded instance's tables into PostgreSQL (issue #13), worked out from the two
 * schemas as they are, not from a list kept by hand: a table or column added later is copied
 * without touching the migration. Pure; the repositories read the schemas, the service runs it.
 */

export type PlanSourceTable = { name: string; columns: { name: string }[]; hasRowid: boolean };
export type PlanTargetColumn = {
  name: string;
  notNull: boolean;
  hasDefault: boolean;
  identity: 'always' | 'by default' | null;
  /** Computed by PostgreSQL from other columns (e.g. a search vector): never written, even if the source has it. */
  generated?: boolean;
};
export type PlanTargetTable = { name: string; columns: PlanTargetColumn[]; primaryKey: string[] };
/** `table.column` references `refTable` (one-column keys; the schema has no other kind). */
export type PlanForeignKey = { table: string; column: string; refTable: string };

export type CopyStep = {
  table: string;
  /** Columns read from the source and written to the target, in this order. */
  columns: string[];
  /** The target has a real `rowid` column (SQLite's implicit one made real): it gets the source's rowid. */
  copyRowid: boolean;
  /** Columns that are inserted as NULL and filled in once every table is copied (references to rows that may come later). */
  deferred: string[];
  /** The target's primary key, used to fill in deferred columns and to update rows the schema itself seeds. */
  primaryKey: string[];
  /** The target schema inserts rows here itself (a counter row): the copy overwrites them instead of colliding. */
  seeded: boolean;
  /** A GENERATED ALWAYS identity column is written: the INSERT needs OVERRIDING SYSTEM VALUE. */
  overriding: boolean;
};

export type CopyPlan = { steps: CopyStep[]; problems: string[] };

/**
 * Tables in foreign-key order (a referenced table before the tables that reference it), with the
 * columns both sides have. A reference of a table to itself, or one that closes a cycle, is
 * deferred when its column may be NULL. Everything that makes a faithful copy impossible is a
 * problem (a schema mismatch): a source table or column the target lacks, a target column that
 * must be filled but has no source, a cycle of required references.
 *
 *     planCopy(sourceTables, targetTables, fks, new Set(['sync_counter'])).steps.map((s) => s.table)
 *     // ['customers', 'users', 'locations', 'documents', …]
 */
export function planCopy(source: PlanSourceTable[], target: PlanTargetTable[], fks: PlanForeignKey[], seeded: Set<string>): CopyPlan {
  const problems: string[] = [];
  const byName = new Map(target.map((t) => [t.name, t]));
  const steps = new Map<string, CopyStep>();
  for (const s of source) {
    const t = byName.get(s.name);
    if (!t) {
      problems.push(`table ${s.name} is in the embedded database but not in the PostgreSQL schema`);
      continue;
    }
    if (!s.hasRowid) problems.push(`table ${s.name} has no rowid (WITHOUT ROWID): it cannot be copied in batches`);
    const targetCols = new Map(t.columns.map((c) => [c.name, c]));
    const columns: string[] = [];
    for (const c of s.columns) {
      if (targetCols.get(c.name)?.generated) continue;
      if (targetCols.has(c.name)) columns.push(c.name);
      else problems.push(`column ${s.name}.${c.name} is in the embedded database but not in the PostgreSQL schema`);
    }
    const copyRowid = targetCols.has('rowid') && !s.columns.some((c) => c.name === 'rowid');
    for (const c of t.columns) {
      if (columns.includes(c.name) || (c.name === 'rowid' && copyRowid)) continue;
      if (c.notNull && !c.hasDefault && !c.identity && !c.generated) problems.push(`column ${t.name}.${c.name} must be filled on PostgreSQL but the embedded database has no such column`);
    }
    const written = new Set([...columns, ...(copyRowid ? ['rowid'] : [])]);
    steps.set(s.name, {
      table: s.name,
      columns,
      copyRowid,
      deferred: [],
      primaryKey: t.primaryKey,
      seeded: seeded.has(s.name),
      overriding: t.columns.some((c) => c.identity === 'always' && written.has(c.name)),
    });
  }
  const nullable = (table: string, column: string) => !byName.get(table)?.columns.find((c) => c.name === column)?.notNull;
  // Edges among the tables being copied: table -> the tables it needs first.
  const needs = new Map<string, Map<string, string[]>>();
  for (const name of steps.keys()) needs.set(name, new Map());
  for (const fk of fks) {
    const step = steps.get(fk.table);
    if (!step || !steps.has(fk.refTable) || !step.columns.includes(fk.column)) continue;
    if (fk.refTable === fk.table) {
      // A row may name a row copied in a later batch: fill it in afterwards.
      if (nullable(fk.table, fk.column)) step.deferred.push(fk.column);
      continue;
    }
    const m = needs.get(fk.table)!;
    m.set(fk.refTable, [...(m.get(fk.refTable) ?? []), fk.column]);
  }
  const order: string[] = [];
  const placed = new Set<string>();
  while (placed.size < steps.size) {
    const ready = [...steps.keys()].filter((n) => !placed.has(n) && [...needs.get(n)!.keys()].every((r) => placed.has(r))).sort();
    if (ready.length) {
      for (const n of ready) {
        order.push(n);
        placed.add(n);
      }
      continue;
    }
    // A cycle: break it at a reference that may be NULL for now.
    let broken = false;
    for (const n of [...steps.keys()].filter((x) => !placed.has(x)).sort()) {
      for (const [ref, cols] of needs.get(n)!) {
        if (placed.has(ref) || !cols.every((c) => nullable(n, c))) continue;
        steps.get(n)!.deferred.push(...cols);
        needs.get(n)!.delete(ref);
        broken = true;
        break;
      }
      if (broken) break;
    }
    if (!broken) {
      const left = [...steps.keys()].filter((x) => !placed.has(x)).sort();
      problems.push(`the tables ${left.join(', ')} reference each other through required columns: no order to copy them in`);
      order.push(...left);
      break;
    }
  }
  for (const s of steps.values()) if (s.deferred.length && s.primaryKey.length === 0) problems.push(`table ${s.table} has references to fill in later but no primary key to find its rows by`);
  return { steps: order.map((n) => steps.get(n)!), problems };
}

/** `postgres://user:secret@host/db` without the password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unreadable URL)';
  }
}

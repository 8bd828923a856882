import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAuditKey } from '../../src/adapters/audit/audit-key.js';
import { seededTables } from '../../src/db/migrate.js';
import { planCopy, redactUrl, type PlanTargetTable } from '../../src/domain/copy-plan.js';

const col = (name: string, o: Partial<PlanTargetTable['columns'][number]> = {}) => ({ name, notNull: false, hasDefault: false, identity: null, ...o });
const src = (name: string, cols: string[]) => ({ name, columns: cols.map((c) => ({ name: c })), hasRowid: true });
const tgt = (name: string, cols: PlanTargetTable['columns'], pk = ['id']): PlanTargetTable => ({ name, columns: cols, primaryKey: pk });

describe(planCopy.name, () => {
  it('given tables that reference each other when planned then referenced tables come first, ties by name', () => {
    const plan = planCopy(
      [src('documents', ['id', 'customer_id', 'location_id']), src('locations', ['id']), src('customers', ['id']), src('pages', ['document_id'])],
      [tgt('documents', [col('id'), col('customer_id'), col('location_id')]), tgt('locations', [col('id')]), tgt('customers', [col('id')]), tgt('pages', [col('document_id')], [])],
      [
        { table: 'documents', column: 'customer_id', refTable: 'customers' },
        { table: 'documents', column: 'location_id', refTable: 'locations' },
        { table: 'pages', column: 'document_id', refTable: 'documents' },
      ],
      new Set(),
    );
    assert.deepEqual(plan.problems, []);
    assert.deepEqual(plan.steps.map((s) => s.table), ['customers', 'locations', 'documents', 'pages']);
  });

  it('given a table that references itself when planned then that nullable column is filled in afterwards', () => {
    const plan = planCopy([src('locations', ['id', 'parent_id'])], [tgt('locations', [col('id', { notNull: true }), col('parent_id')])], [{ table: 'locations', column: 'parent_id', refTable: 'locations' }], new Set());
    assert.deepEqual(plan.steps[0]!.deferred, ['parent_id']);
  });

  it('given a cycle of two tables when one reference may be NULL then the cycle is broken there; when none may then it is a problem', () => {
    const fks = [
      { table: 'a', column: 'b_id', refTable: 'b' },
      { table: 'b', column: 'a_id', refTable: 'a' },
    ];
    const ok = planCopy([src('a', ['id', 'b_id']), src('b', ['id', 'a_id'])], [tgt('a', [col('id'), col('b_id')]), tgt('b', [col('id'), col('a_id', { notNull: true })])], fks, new Set());
    assert.deepEqual(ok.problems, []);
    assert.deepEqual(ok.steps.map((s) => [s.table, s.deferred]), [['a', ['b_id']], ['b', []]]);
    const stuck = planCopy([src('a', ['id', 'b_id']), src('b', ['id', 'a_id'])], [tgt('a', [col('id'), col('b_id', { notNull: true })]), tgt('b', [col('id'), col('a_id', { notNull: true })])], fks, new Set());
    assert.match(stuck.problems.join(), /a, b reference each other/);
  });

  it('given a column PostgreSQL computes itself when planned then it is not written, even where the source has it', () => {
    const plan = planCopy([src('pages', ['id', 'text', 'tsv'])], [tgt('pages', [col('id'), col('text'), col('tsv', { notNull: true, generated: true })])], [], new Set());
    assert.deepEqual(plan.problems, []);
    assert.deepEqual(plan.steps[0]!.columns, ['id', 'text']);
  });

  it('given schemas that differ when planned then each difference is named; a target-only column with a default or identity is fine', () => {
    const plan = planCopy(
      [src('documents', ['id', 'title', 'legacy']), src('gone', ['id'])],
      [tgt('documents', [col('id'), col('title'), col('rowid', { identity: 'always', notNull: true }), col('added', { notNull: true, hasDefault: true }), col('required', { notNull: true })])],
      [],
      new Set(),
    );
    assert.equal(plan.problems.length, 3, plan.problems.join('\n'));
    assert.match(plan.problems.join('\n'), /column documents\.legacy is in the embedded database but not in the PostgreSQL schema/);
    assert.match(plan.problems.join('\n'), /table gone is in the embedded database but not/);
    assert.match(plan.problems.join('\n'), /column documents\.required must be filled/);
    const step = plan.steps[0]!;
    assert.deepEqual(step.columns, ['id', 'title']);
    assert.equal(step.copyRowid, true, "SQLite's rowid goes into the real rowid column");
    assert.equal(step.overriding, true, 'a GENERATED ALWAYS column is written');
  });
});

describe(seededTables.name, () => {
  it('given a schema script when read then tables it inserts into are seeded, but not inserts inside function bodies', () => {
    const sql = `CREATE TABLE c (id INT); INSERT INTO c (id) VALUES (1);
      -- INSERT INTO commented
      CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN INSERT INTO changes VALUES (1); END $$;
      insert into "Other" VALUES (2);`;
    assert.deepEqual([...seededTables(sql)].sort(), ['c', 'other']);
  });
});

describe(redactUrl.name, () => {
  it('given a URL with a password when redacted then the password is hidden and the rest kept', () => {
    assert.equal(redactUrl('postgres://dl:s3cret@db.example:5432/dossier'), 'postgres://dl:***@db.example:5432/dossier');
    assert.equal(redactUrl('postgres://dl@db/dossier'), 'postgres://dl@db/dossier');
  });
});

describe(parseAuditKey.name, () => {
  it('given hex: and 64 hex digits when parsed then the key is those bytes; otherwise the text itself', () => {
    const hex = 'ab'.repeat(32);
    assert.deepEqual(parseAuditKey(`hex:${hex}`), Buffer.from(hex, 'hex'));
    assert.deepEqual(parseAuditKey(hex), Buffer.from(hex, 'utf8'), 'plain hex text stays text: keys set before keep working');
    assert.deepEqual(parseAuditKey('hex:short'), Buffer.from('hex:short', 'utf8'));
  });
});

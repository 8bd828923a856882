import { Database } from '../src/db/database.js';
import { compileQuery } from '../src/domain/search-query.js';
const db = await Database.open(process.argv[2]!);
const time = async (label: string, sql: string, args: unknown[]) => {
  const xs: number[] = [];
  let rows: unknown[] = [];
  for (let i = 0; i < 9; i++) { const t = performance.now(); rows = await db.all(sql, args); xs.push(performance.now() - t); }
  xs.sort((a, b) => a - b);
  console.log(label.padEnd(40), 'median', xs[4]!.toFixed(1), 'max', xs[8]!.toFixed(1), 'rows', rows.length, JSON.stringify(rows).length, JSON.stringify(rows).slice(0, 60));
  return JSON.stringify(rows);
};
const c = 'KL-000042';
const mk = compileQuery('klant');
const a = await time('cust: current', `SELECT d.rowid AS rowid, 0 AS score, COALESCE(d.doc_date, '') AS d8 FROM documents d WHERE d.destroyed_at IS NULL AND d.customer_id = ? AND d.rowid IN (SELECT rowid FROM document_fts WHERE document_fts MATCH ?) ORDER BY d8 DESC, rowid DESC LIMIT 20`, [c, mk]);
const b = await time('cust: fts rowid IN docs', `SELECT d.rowid AS rowid, 0 AS score, COALESCE(d.doc_date, '') AS d8 FROM documents d WHERE d.destroyed_at IS NULL AND d.customer_id = ? AND d.rowid IN (SELECT rowid FROM document_fts WHERE document_fts MATCH ? AND rowid IN (SELECT rowid FROM documents WHERE customer_id = ?)) ORDER BY d8 DESC, rowid DESC LIMIT 20`, [c, mk, c]);
const b2 = await time('cust: correlated', `SELECT d.rowid AS rowid, 0 AS score, COALESCE(d.doc_date, '') AS d8 FROM documents d WHERE d.destroyed_at IS NULL AND d.customer_id = ? AND EXISTS (SELECT 1 FROM document_fts WHERE document_fts MATCH ? AND rowid = d.rowid) ORDER BY d8 DESC, rowid DESC LIMIT 20`, [c, mk]);
console.log('same', a === b, a === b2);
console.log(await db.all(`EXPLAIN QUERY PLAN SELECT d.rowid AS rowid FROM documents d WHERE d.destroyed_at IS NULL AND d.customer_id = ? AND d.rowid IN (SELECT rowid FROM document_fts WHERE document_fts MATCH ? AND rowid IN (SELECT rowid FROM documents WHERE customer_id = ?))`, [c, mk, c]));
const m2 = compileQuery('contract');
const w = `d.destroyed_at IS NULL AND d.type = ? AND d.doc_date >= ?`;
const x = await time('type: current join', `SELECT document_fts.rowid AS rowid, bm25(document_fts, 3.0, 1.0) AS score FROM document_fts JOIN documents d ON d.rowid = document_fts.rowid WHERE document_fts MATCH ? AND ${w} ORDER BY score LIMIT 20`, [m2, 'sla', '2015-01-01']);
const y = await time('type: rowid IN docs', `SELECT rowid, bm25(document_fts, 3.0, 1.0) AS score FROM document_fts WHERE document_fts MATCH ? AND rowid IN (SELECT d.rowid FROM documents d WHERE ${w}) ORDER BY score LIMIT 20`, [m2, 'sla', '2015-01-01']);
console.log('same', x === y);
console.log(await db.all(`EXPLAIN QUERY PLAN SELECT rowid, bm25(document_fts, 3.0, 1.0) AS score FROM document_fts WHERE document_fts MATCH ? AND rowid IN (SELECT d.rowid FROM documents d WHERE ${w}) ORDER BY score LIMIT 20`, [m2, 'sla', '2015-01-01']));
await time('type: count current', `SELECT COUNT(*) FROM (SELECT document_fts.rowid FROM document_fts JOIN documents d ON d.rowid = document_fts.rowid WHERE document_fts MATCH ? AND ${w} LIMIT 10001)`, [m2, 'sla', '2015-01-01']);
await time('type: count IN', `SELECT COUNT(*) FROM (SELECT rowid FROM document_fts WHERE document_fts MATCH ? AND rowid IN (SELECT d.rowid FROM documents d WHERE ${w}) LIMIT 10001)`, [m2, 'sla', '2015-01-01']);
await db.close();

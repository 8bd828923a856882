import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isIsoDate } from '../domain/dates.js';
import { ROLES, type Principal, type Role } from '../domain/roles.js';
import type { Dossierlink } from '../dossierlink.js';
import { documentsRepository } from '../db/documents.repository.js';
import { reindexRepository } from '../db/reindex.repository.js';
import { searchRepository } from '../db/search.repository.js';
import { ChangesService, csvCell } from '../services/changes.service.js';
import { today } from '../services/clock.js';
import { progressBar } from './progress.js';
import { ACCOUNT_COMMANDS } from './accounts.commands.js';
import type { Config } from '../config.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, problems: 3 } as const;

export class UsageError extends Error {}

export type CommandContext = {
  /** Opens the data dir; commands check their arguments first, so a usage error costs nothing. */
  open(): Promise<Dossierlink>;
  args: string[];
  options: { 'dry-run'?: boolean; json?: boolean; since?: string; format?: string; out?: string; before?: string; days?: string; to?: string; 'batch-size'?: string };
  /** The parsed environment, for commands that do not open the instance (migrate-to-postgres). */
  config: Config;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
};

/** Who the audit log names for what an operator does on the command line. */
const OPERATOR: Principal = { id: 'cli', name: 'Operator (command line)', roles: ['admin'] };

const write = (s: NodeJS.WritableStream, text: string) => s.write(text.endsWith('\n') ? text : `${text}\n`);

async function importCustomers(ctx: CommandContext): Promise<number> {
  const [what, file, ...rest] = ctx.args;
  if (what !== 'customers' || !file || rest.length) throw new UsageError('Usage: import customers <file> [--dry-run] [--json]');
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    write(ctx.err, `error: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return EXIT.failed;
  }
  const dl = await ctx.open();
  const bar = progressBar('import');
  const { report } = await dl.services.imports.submit(
    { bytes, fileName: path.basename(file), dryRun: Boolean(ctx.options['dry-run']), background: false, onProgress: (d, t) => bar.update(d, t) },
    OPERATOR,
  );
  bar.done(report.summary);
  if (ctx.options.json) write(ctx.out, JSON.stringify(report, null, 2));
  else {
    write(ctx.out, `${report.summary}\nimport id: ${report.id}`);
    for (const e of report.errors.slice(0, 100)) write(ctx.out, `row ${e.row}${e.field ? ` ${e.field}` : ''}: ${e.message}`);
    if (report.errors.length > 100 || report.errorsTruncated) write(ctx.out, `… ${report.totals.failed} rejected row(s) in all; see GET /api/imports/${report.id} or --json`);
  }
  return report.totals.failed > 0 ? EXIT.problems : EXIT.ok;
}

async function exportKeyPoints(ctx: CommandContext): Promise<number> {
  if (ctx.args[0] !== 'key-points' || ctx.args.length > 1) throw new UsageError('Usage: export key-points [--since <cursor|date>] [--format csv|json] [--out <file>]');
  const format = ctx.options.format ?? 'csv';
  if (format !== 'csv' && format !== 'json') throw new UsageError('--format is csv or json');
  const dl = await ctx.open();
  const items = [];
  let since = ctx.options.since;
  let cursor = since ?? '0';
  const bar = progressBar('export');
  for (;;) {
    const page = await dl.services.changes.keyPoints({ since, limit: 10_000 });
    items.push(...page.items);
    cursor = page.cursor;
    bar.update(items.length, items.length + (page.hasMore ? 10_000 : 0));
    if (!page.hasMore) break;
    since = page.cursor;
  }
  bar.done(`${items.length} document(s); next run: --since ${cursor}`);
  const text = format === 'csv' ? ChangesService.keyPointsCsv(items) : `${JSON.stringify({ cursor, items }, null, 2)}\n`;
  if (ctx.options.out) await writeFile(ctx.options.out, text);
  else ctx.out.write(text);
  return EXIT.ok;
}

/** Rebuilds the full-text index from document_pages, in batches, without taking search offline. */
async function reindex(ctx: CommandContext): Promise<number> {
  if (ctx.args.length) throw new UsageError('Usage: reindex');
  const { db } = await ctx.open();
  const total = await reindexRepository.countReindexable(db);
  const bar = progressBar('reindex');
  let done = 0;
  let after = 0;
  for (;;) {
    const docs = await reindexRepository.batchAfter(db, after, 500);
    if (docs.length === 0) break;
    after = docs[docs.length - 1].rowid;
    await db.tx(async (q) => {
      const entries = [];
      for (const d of docs) entries.push({ id: d.id, title: d.title, text: (await documentsRepository.pages(q, d.id)).map((p) => p.text).join('\n\n') });
      await searchRepository.indexMany(q, entries);
    });
    done += docs.length;
    bar.update(done, Math.max(total, done));
  }
  // Entries of documents that are gone (destroyed, or rows removed) must not be findable.
  const orphans = await reindexRepository.removeOrphans(db);
  bar.done(`${done} document(s) indexed, ${orphans} stale entr${orphans === 1 ? 'y' : 'ies'} removed`);
  write(ctx.out, `reindexed ${done} document(s); removed ${orphans} stale entr${orphans === 1 ? 'y' : 'ies'}`);
  return EXIT.ok;
}

async function verifyAudit(ctx: CommandContext): Promise<number> {
  if (ctx.args.length) throw new UsageError('Usage: verify-audit');
  const r = await (await ctx.open()).services.audit.verify();
  if (ctx.options.json) write(ctx.out, JSON.stringify(r));
  else if (r.ok) write(ctx.out, `audit log OK: ${r.checked} event(s) checked`);
  else write(ctx.out, `audit log BROKEN at event ${r.firstBadEvent?.seq}: ${r.firstBadEvent?.reason} (${r.checked} event(s) before it are intact)`);
  return r.ok ? EXIT.ok : EXIT.problems;
}

async function createUser(ctx: CommandContext): Promise<number> {
  const [name, roleList, ...rest] = ctx.args;
  if (!name || !roleList || rest.length) throw new UsageError('Usage: create-user <name> <roles>   (roles comma-separated, e.g. crm,compliance)');
  const roles = roleList.split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length || roles.length === 0) throw new UsageError(`Unknown role(s): ${unknown.join(', ') || '(none given)'}; roles are ${ROLES.join(', ')}`);
  const user = await (await ctx.open()).services.users.create({ name: name.trim(), roles: roles as Role[] }, OPERATOR.id);
  if (ctx.options.json) write(ctx.out, JSON.stringify(user));
  else write(ctx.out, `created user ${user.name} (${user.id}) with roles ${user.roles.join(', ')}\ntoken (shown once): ${user.token}`);
  return EXIT.ok;
}

async function disposalReport(ctx: CommandContext): Promise<number> {
  if (ctx.args.length) throw new UsageError('Usage: disposal-report [--before YYYY-MM-DD] [--format text|csv|json]');
  if (ctx.options.before !== undefined && !isIsoDate(ctx.options.before)) throw new UsageError('--before must be a date YYYY-MM-DD');
  const format = ctx.options.json ? 'json' : (ctx.options.format ?? 'text');
  if (!['text', 'csv', 'json'].includes(format)) throw new UsageError('--format is text, csv or json');
  const dl = await ctx.open();
  const before = ctx.options.before ?? today(dl.clock);
  const due = await dl.services.retention.due(before, 50_000);
  const rows = [...due.documents.map((d) => ({ d, held: false })), ...due.held.map((d) => ({ d, held: true }))].map(({ d, held }) => ({
    documentId: d.id,
    customerId: d.customerId,
    type: d.type,
    class: d.class,
    medium: d.original ? 'digital' : 'paper',
    barcode: d.barcode,
    endsOn: due.details[d.id]?.effectiveEnd ?? d.retention.endsOn,
    disposition: d.retention.disposition,
    legalBasis: d.retention.legalBasis,
    location: d.location?.path ?? null,
    held,
  }));
  if (format === 'json') write(ctx.out, JSON.stringify({ before, count: due.count, held: due.held.length, truncated: due.truncated, documents: rows }, null, 2));
  else if (format === 'csv') {
    const cols = Object.keys(rows[0] ?? { documentId: 0, customerId: 0, type: 0, class: 0, medium: 0, barcode: 0, endsOn: 0, disposition: 0, legalBasis: 0, location: 0, held: 0 });
    ctx.out.write([cols.join(','), ...rows.map((r) => cols.map((c) => csvCell((r as Record<string, unknown>)[c])).join(','))].join('\r\n') + '\r\n');
  } else {
    write(ctx.out, `Retention ended before ${before}: ${due.count} document(s) due, ${due.held.length} held back by a legal hold${due.truncated ? ' (list truncated)' : ''}`);
    for (const r of rows) {
      write(ctx.out, `${r.endsOn ?? '?'}  ${r.documentId}  ${r.customerId ?? '-'}  ${r.type} (${r.medium}${r.barcode ? ` ${r.barcode}` : ''})  → ${r.disposition}${r.held ? '  [HOLD]' : ''}${r.location ? `  @ ${r.location}` : ''}`);
    }
  }
  return EXIT.ok;
}

export const COMMANDS: Record<string, (ctx: CommandContext) => Promise<number>> = {
  import: importCustomers,
  export: exportKeyPoints,
  reindex,
  'verify-audit': verifyAudit,
  'create-user': createUser,
  'disposal-report': disposalReport,
};
// Account commands (issue #16) live in their own file; added here so `COMMANDS` stays the one list.
Object.assign(COMMANDS, ACCOUNT_COMMANDS);
// The migration (issue #13) loads pg, minio and cli-progress only when it runs.
COMMANDS['migrate-to-postgres'] = async (ctx) => (await import('./migrate.commands.js')).MIGRATE_COMMANDS['migrate-to-postgres']!(ctx);

import path from 'node:path';
import cliProgress from 'cli-progress';
import { readAuditKeyFile, parseAuditKey } from '../adapters/audit/audit-key.js';
import { FileCheckpointLog } from '../adapters/audit/checkpoint-log.js';
import { createObjectStore } from '../adapters/object-store/create-object-store.js';
import { LocalObjectStore } from '../adapters/object-store/local.object-store.js';
import type { ObjectStore } from '../adapters/object-store/object-store.js';
import { keyId } from '../domain/audit-chain.js';
import { redactUrl } from '../domain/copy-plan.js';
import { auditRepository } from '../db/audit.repository.js';
import { appliedVersions, pgSchemaSql, shippedVersions } from '../db/migrate.js';
import { PgDatabase } from '../db/pg-database.js';
import { SqliteSource } from '../db/sqlite-source.js';
import { MigrateToPostgresService, MigrationInterrupted, MigrationRefused, type MigrationPhase, type MigrationReport } from '../services/migrate-to-postgres.service.js';
import { EXIT, UsageError, type CommandContext } from './commands.js';
import { progressBar } from './progress.js';

const USAGE = 'Usage: migrate-to-postgres [--to postgres://user:pass@host/db] [--batch-size N]';
const write = (s: NodeJS.WritableStream, text: string) => s.write(text.endsWith('\n') ? text : `${text}\n`);

const PHASES: Record<MigrationPhase, string> = {
  rows: 'rows',
  links: 'links',
  search: 'search index',
  objects: 'objects',
  checkpoints: 'checkpoints',
  'verify-rows': 'verify counts',
  'verify-objects': 'verify checksums',
  'verify-audit': 'verify audit',
};

/**
 * One bar per phase on stderr: cli-progress redrawn in place on a terminal, plain lines (every
 * 10%) otherwise, so logs and CI show progress too and stdout keeps the report.
 */
function phaseProgress(stream: NodeJS.WriteStream) {
  let phase: MigrationPhase | null = null;
  let tty: cliProgress.SingleBar | null = null;
  let plain: ReturnType<typeof progressBar> | null = null;
  const end = () => {
    tty?.stop();
    plain?.done();
    tty = null;
    plain = null;
  };
  return {
    update(p: MigrationPhase, done: number, total: number, detail?: string) {
      if (p !== phase) {
        end();
        phase = p;
        if (stream.isTTY) {
          tty = new cliProgress.SingleBar({ stream, format: `${PHASES[p].padEnd(16)} [{bar}] {percentage}% {value}/{total} {detail}`, hideCursor: true }, cliProgress.Presets.shades_classic);
          tty.start(total, done, { detail: detail ?? '' });
        } else plain = progressBar(PHASES[p].padEnd(16), stream);
      }
      if (tty) {
        tty.setTotal(total);
        tty.update(done, { detail: detail ?? '' });
      } else plain?.update(done, total);
    },
    end,
  };
}

/**
 * Which key sealed the audit log: DOSSIER_AUDIT_KEY or the data dir's `audit.key`, whichever has
 * the key id the database recorded. Never creates a key (the source must not change).
 */
async function sourceAuditKey(source: SqliteSource, configured: string | undefined, keyFile: string): Promise<{ key: Buffer | null; from: 'env' | 'file' | null }> {
  const keying = await auditRepository.keying(source).catch(() => undefined);
  if (!keying) return { key: null, from: null };
  const env = configured ? parseAuditKey(configured) : null;
  if (env && keyId(env) === keying.key_id) return { key: env, from: 'env' };
  const file = await readAuditKeyFile(keyFile);
  if (file && keyId(file) === keying.key_id) return { key: file, from: 'file' };
  throw new MigrationRefused(
    `Neither DOSSIER_AUDIT_KEY nor ${keyFile} is the key this instance's audit log was sealed with (key id ${keying.key_id}); without it the chain cannot be verified. Set DOSSIER_AUDIT_KEY to the instance's key.`,
  );
}

async function openTarget(url: string): Promise<PgDatabase> {
  try {
    return await PgDatabase.open(url, { poolSize: 4, searchConnections: 1, applicationName: 'dossierlink-migrate' });
  } catch (err) {
    const e = err as Error & { code?: string };
    throw new MigrationRefused(`Cannot use the PostgreSQL database at ${redactUrl(url)}: ${e.message}${e.code ? ` (${e.code})` : ''}`);
  }
}

async function migrateToPostgres(ctx: CommandContext): Promise<number> {
  if (ctx.args.length) throw new UsageError(USAGE);
  const config = ctx.config;
  const url = ctx.options.to ?? config.database.url;
  if (!url) throw new UsageError(`Give the target database with --to postgres://… or DOSSIER_DATABASE_URL\n${USAGE}`);
  if (!/^postgres(ql)?:\/\//.test(url)) throw new UsageError('--to must be a postgres:// or postgresql:// URL');
  const batch = ctx.options['batch-size'] === undefined ? 500 : Number(ctx.options['batch-size']);
  if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) throw new UsageError('--batch-size is a whole number from 1 to 10000');

  const sourceFile = path.join(config.dataDir, 'dossierlink.sqlite');
  let source: SqliteSource;
  try {
    source = await SqliteSource.open(sourceFile);
  } catch (err) {
    write(ctx.err, `error: ${(err as Error).message}`);
    return EXIT.failed;
  }
  let target: PgDatabase | null = null;
  const ac = new AbortController();
  const onSigint = () => {
    write(ctx.err, '\nstopping after the current batch (Ctrl-C again to quit at once) …');
    process.off('SIGINT', onSigint);
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  const bar = phaseProgress(ctx.err as NodeJS.WriteStream);
  try {
    const [have, shipped] = [await source.schemaVersions(), await shippedVersions('sqlite')];
    if (have.join() !== shipped.join()) {
      const newer = have.some((v) => !shipped.includes(v));
      throw new MigrationRefused(
        newer
          ? 'The data dir was used by a newer Dossierlink than this one: migrate with that version.'
          : 'The data dir has not been upgraded to this version yet: start this Dossierlink on it once (it upgrades the file), stop it, then migrate.',
      );
    }
    const audit = await sourceAuditKey(source, config.audit.key, config.audit.keyFile);
    target = await openTarget(url);
    const pgShipped = await shippedVersions('postgres');
    const pgHave = await appliedVersions(target);
    if (pgHave.some((v) => !pgShipped.includes(v))) throw new MigrationRefused(`The target database has a newer Dossierlink schema (versions ${pgHave.join(', ')}) than this one knows: use an empty database or the newer version.`);

    const objectsRoot = path.join(config.dataDir, 'objects');
    // Not init(): that tidies the folder, and the source is not to be touched.
    const sourceStore = new LocalObjectStore({ root: objectsRoot });
    const sameStore = config.objectStore.kind === 'local';
    let targetStore: ObjectStore = sourceStore;
    if (config.objectStore.kind === 's3') {
      targetStore = await createObjectStore(config.objectStore);
      try {
        await targetStore.init();
      } catch (err) {
        throw new MigrationRefused(`Cannot use the S3 bucket ${config.objectStore.bucket} at ${config.objectStore.endPoint}: ${(err as Error).message}`);
      }
    }
    // With PostgreSQL and S3, and no checkpoint file named, the target keeps its checkpoints in the bucket (config.ts).
    const defaultCheckpoints = config.audit.checkpointFile === path.join(config.dataDir, 'audit-checkpoints.jsonl');
    const targetCheckpoints = config.objectStore.kind === 's3' && defaultCheckpoints ? new (await import('../adapters/audit/s3-checkpoint-log.js')).S3CheckpointLog(config.objectStore) : null;

    const service = new MigrateToPostgresService({
      source,
      target,
      sourceObjectsRoot: objectsRoot,
      sourceStore,
      targetStore,
      sameStore,
      sourceCheckpoints: new FileCheckpointLog(config.audit.checkpointFile),
      targetCheckpoints,
      auditKey: audit.key,
      targetSchemaSql: await pgSchemaSql(),
      batchSize: batch,
      onProgress: (p, d, t, detail) => bar.update(p, d, t, detail),
      signal: ac.signal,
    });
    const report = await service.run();
    bar.end();
    printReport(ctx, report, { url, sourceFile, config, auditFrom: audit.from, targetCheckpoints: targetCheckpoints?.where ?? null });
    return report.ok ? EXIT.ok : EXIT.problems;
  } catch (err) {
    bar.end();
    if (err instanceof MigrationRefused || err instanceof MigrationInterrupted) {
      write(ctx.err, `error: ${err.message}`);
      return EXIT.failed;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    await target?.close();
    await source.close();
  }
}

function printReport(
  ctx: CommandContext,
  r: MigrationReport,
  o: { url: string; sourceFile: string; config: CommandContext['config']; auditFrom: 'env' | 'file' | null; targetCheckpoints: string | null },
) {
  const out = (s: string) => write(ctx.out, s);
  if (r.alreadyDone) {
    out(`nothing to do: ${o.sourceFile} was migrated to ${redactUrl(o.url)} already (finished ${r.finishedAt})`);
    if (r.sourceChangedSince) out('WARNING: the embedded database was written after the migration finished; those changes are NOT in PostgreSQL. Migrate again into a new, empty database, or re-enter them on the target.');
    return;
  }
  const rows = r.tables.reduce((a, t) => a + t.target, 0);
  const off = r.tables.filter((t) => t.source !== t.target);
  out(`${r.ok ? 'migrated' : 'migration NOT complete'}: ${o.sourceFile} → ${redactUrl(o.url)}${r.resumed ? ' (continued an earlier run)' : ''}`);
  out(`  rows: ${r.tables.length} table(s), ${rows.toLocaleString('en')} row(s); ${off.length ? `COUNTS DIFFER: ${off.map((t) => `${t.table} ${t.source}→${t.target}`).join(', ')}` : 'every count equal'}`);
  const store = o.config.objectStore.kind === 's3' ? `s3 bucket ${o.config.objectStore.bucket}` : 'the local object store (kept in place)';
  out(`  objects: ${r.objects.referenced} referenced, ${r.objects.copied} copied to ${store}; ${r.objects.badInTarget.length || r.objects.missingInSource.length ? 'PROBLEMS below' : 'every checksum matches'}`);
  for (const h of r.objects.missingInSource.slice(0, 20)) out(`    missing in the data dir: ${h}`);
  for (const h of r.objects.badInTarget.slice(0, 20)) out(`    missing or damaged in the target: ${h}`);
  if (r.audit) {
    out(
      r.audit.ok
        ? `  audit log on the target: OK, ${r.audit.checked} event(s) checked, ${r.audit.checkpoints.count} signed checkpoint(s)${r.checkpoints.copied ? ` (${r.checkpoints.copied} copied to ${o.targetCheckpoints})` : ''}`
        : `  audit log on the target: BROKEN at event ${r.audit.firstBadEvent?.seq}: ${r.audit.firstBadEvent?.reason}`,
    );
  }
  if (r.search) out(`  search index on the target: ${r.search.target} document(s), rebuilt from the page texts (the embedded index had ${r.search.source})`);
  if (r.jobs.length) out(`  jobs carried over (the PostgreSQL queue takes them over when it starts): ${r.jobs.map((j) => `${j.kind} ${j.status} ${j.n}`).join(', ')}`);
  if (!r.ok) {
    out('Fix the problems above and run the same command again: what is copied stays, the rest continues.');
    return;
  }
  out('Next:');
  out(`  1. Start Dossierlink on the target with DOSSIER_DATABASE_URL=${redactUrl(o.url)}${o.config.objectStore.kind === 's3' ? ' and the same DOSSIER_OBJECT_STORE=s3 / DOSSIER_S3_* settings' : ''}.`);
  if (o.auditFrom === 'file') out(`  2. Give every process DOSSIER_AUDIT_KEY=hex:<the 64 hex digits in ${o.config.audit.keyFile}> (the audit log is sealed with that key).`);
  else if (o.auditFrom === 'env') out('  2. Give every process the same DOSSIER_AUDIT_KEY as now.');
  if (!o.targetCheckpoints) out(`  3. Keep the checkpoint file ${o.config.audit.checkpointFile} where the target processes find it (DOSSIER_AUDIT_CHECKPOINTS).`);
  out('  Keep the data dir as a backup until you are satisfied.');
}

export const MIGRATE_COMMANDS: Record<string, (ctx: CommandContext) => Promise<number>> = {
  'migrate-to-postgres': migrateToPostgres,
};

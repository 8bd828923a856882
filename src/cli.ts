/**
 * Operator commands on a data dir, without HTTP: `npm run cli -- <command>`.
 * Reads the same environment as the server (DOSSIER_DATA_DIR, …); safe beside a running server
 * (SQLite WAL, one writer at a time). Progress goes to stderr, results to stdout.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { AppError } from './errors.js';
import { COMMANDS, EXIT, UsageError, type CommandContext } from './cli/commands.js';
import type { Dossierlink } from './dossierlink.js';

const HELP = `Usage: npm run cli -- <command> [options]

Commands:
  import customers <file> [--dry-run] [--json]   Import customers from CSV or JSON lines (upsert by customer number)
  export key-points [--since <cursor|date>] [--format csv|json] [--out <file>]
                                                 Key points of static documents and paper for the CRM
  reindex                                        Rebuild the full-text index from the stored page texts
  verify-audit                                   Check the audit log's hash chain
  create-user <name> <roles>                     Create a user (roles comma-separated: mailroom,crm,compliance,admin); prints the token
  create-login <name> <roles> <username>        Create a person who signs in; prints a generated password once
  reset-password <username>                     New generated password, printed once; signs the user out everywhere
  create-token <name> <roles> [--days N]        API token for an integration, shown once (optional expiry)
  list-tokens [--json]                          API tokens with status and last use
  revoke-token <id>                             Revoke an API token; its next request gets 401
  disposal-report [--before YYYY-MM-DD] [--format text|csv|json]
                                                 Documents whose retention ends before the date (default today)
  migrate-to-postgres [--to <postgres-url>] [--batch-size N]
                                                 Copy this (stopped) instance into PostgreSQL and the S3 bucket of DOSSIER_S3_*,
                                                 resumably, then verify counts, checksums and the audit chain (target: --to or DOSSIER_DATABASE_URL)
  help                                           This text

The data dir comes from DOSSIER_DATA_DIR (default ./storage).
Exit codes: 0 done, 1 failed, 2 usage error, 3 done with problems (rejected rows, broken audit chain).`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      since: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      before: { type: 'string' },
      days: { type: 'string' },
      to: { type: 'string' },
      'batch-size': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [name, ...args] = positionals;
  if (!name || name === 'help' || values.help) {
    process.stdout.write(`${HELP}\n`);
    return name || values.help ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`Unknown command "${name}"`);
  const config = loadConfig(process.env);
  let dl: Dossierlink | null = null;
  // The instance (and its heavy imports: PDF, OCR, images) is opened only once the arguments are known to be right.
  const open = async () => {
    const [{ default: pino }, { openDossierlink }] = await Promise.all([import('pino'), import('./dossierlink.js')]);
    // Logs go to stderr, warnings and worse only: stdout carries the command's output.
    const logger = pino({ level: config.logLevel === 'info' ? 'warn' : config.logLevel }, pino.destination(2));
    dl = await openDossierlink(config, { logger });
    return dl;
  };
  try {
    const ctx: CommandContext = { open, args, options: values, out: process.stdout, err: process.stderr, config };
    return await command(ctx);
  } finally {
    await (dl as Dossierlink | null)?.close(0);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(err as Error).message}\n\n${HELP}\n`);
      process.exitCode = EXIT.usage;
    } else if (err instanceof ConfigError || err instanceof AppError) {
      process.stderr.write(`error: ${(err as Error).message}\n`);
      process.exitCode = EXIT.failed;
    } else {
      process.stderr.write(`error: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = EXIT.failed;
    }
  },
);

import path from 'node:path';
import { z } from 'zod';

/** Accepts the usual spellings of on/off in environment variables. */
const flag = (fallback: boolean) =>
  z
    .enum(['1', '0', 'true', 'false', 'on', 'off', 'yes', 'no'])
    .optional()
    .transform((v) => (v === undefined ? fallback : ['1', 'true', 'on', 'yes'].includes(v)));

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  DOSSIER_DATA_DIR: z.string().min(1).default('./storage'),
  DOSSIER_ADMIN_TOKEN: z.string().min(16, 'DOSSIER_ADMIN_TOKEN must be at least 16 characters').optional(),
  DOSSIER_DEMO: flag(true),
  DOSSIER_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DOSSIER_MAX_UPLOAD_MB: z.coerce.number().positive().max(4096).default(200),
  DOSSIER_JSON_LIMIT_KB: z.coerce.number().int().positive().default(1024),
  DOSSIER_OCR_WORKERS: z.coerce.number().int().min(0).max(64).optional(),
  DOSSIER_OCR_LANGS: z.string().regex(/^[a-z_]+(\+[a-z_]+)*$/).default('nld+eng'),
  DOSSIER_CUSTOMER_PATTERN: z.string().default('KL-\\d{6}'),
  DOSSIER_SCOPES: z.string().regex(/^(sales|care|loyalty)(,(sales|care|loyalty))*$/).default('sales,care'),
  DOSSIER_OBJECT_STORE: z.enum(['local', 's3']).default('local'),
  DOSSIER_S3_ENDPOINT: z.string().url().optional(),
  DOSSIER_S3_BUCKET: z.string().default('dossierlink'),
  DOSSIER_S3_ACCESS_KEY: z.string().optional(),
  DOSSIER_S3_SECRET_KEY: z.string().optional(),
  DOSSIER_S3_REGION: z.string().default('us-east-1'),
  DOSSIER_INBOX: flag(true),
  DOSSIER_SHUTDOWN_GRACE_MS: z.coerce.number().int().positive().default(10_000),
  DOSSIER_INBOX_DIR: z.string().min(1).optional(),
  DOSSIER_INBOX_POLL_MS: z.coerce.number().int().min(100).max(3_600_000).default(2000),
  DOSSIER_INBOX_STABLE_MS: z.coerce.number().int().min(0).max(3_600_000).default(0),
  DOSSIER_INTAKE_BARCODES: flag(true),
  DOSSIER_IMAP_URL: z.string().regex(/^imaps?:\/\//, 'must start with imap:// or imaps://').optional(),
  DOSSIER_IMAP_HOST: z.string().min(1).optional(),
  DOSSIER_IMAP_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  DOSSIER_IMAP_USER: z.string().min(1).optional(),
  DOSSIER_IMAP_PASSWORD: z.string().optional(),
  DOSSIER_IMAP_MAILBOX: z.string().min(1).optional(),
  DOSSIER_IMAP_TLS: flag(true),
  DOSSIER_IMAP_INTERVAL_MS: z.coerce.number().int().min(1000).max(86_400_000).default(60_000),
  DOSSIER_IMAP_PROCESSED: z.enum(['flag', 'move']).default('flag'),
  DOSSIER_IMAP_MOVE_TO: z.string().min(1).default('Dossierlink'),
  DOSSIER_IMAP_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(5),
});

export type Config = {
  port: number;
  host: string;
  dataDir: string;
  adminToken?: string;
  demo: boolean;
  logLevel: z.infer<typeof EnvSchema>['DOSSIER_LOG_LEVEL'];
  maxUploadBytes: number;
  jsonLimitBytes: number;
  ocrWorkers?: number;
  ocrLangs: string[];
  customerPattern: string;
  defaultScopes: string[];
  objectStore:
    | { kind: 'local'; root: string }
    | { kind: 's3'; endPoint: string; bucket: string; accessKey: string; secretKey: string; region: string };
  inbox: boolean;
  shutdownGraceMs: number;
  /** The scanner drop folder: polled, so a network share (SMB/NFS) works too. */
  inboxDir: string;
  inboxPollMs: number;
  inboxStableMs: number;
  /** Read every intake's pages for separator/cover sheets, paper labels and coupons before ingest. */
  intakeBarcodes: boolean;
  /** E-mail intake: an IMAP mailbox read on a schedule; null when not configured. */
  imap: ImapConfig | null;
};

export type ImapConfig = {
  host: string;
  port: number;
  /** TLS from the start (imaps, usually 993); otherwise plain, upgraded with STARTTLS when the server offers it. */
  secure: boolean;
  user: string;
  password: string;
  mailbox: string;
  intervalMs: number;
  /** What happens to a message once its attachments are documents: a flag (\\Seen and $Dossierlink), or a move to `moveTo`. */
  processed: 'flag' | 'move';
  moveTo: string;
  maxAttempts: number;
};

/** Environment variables with their meaning, for the README and `--help`. Kept beside the schema so they cannot drift. */
export const ENV_DOCS: Record<keyof z.infer<typeof EnvSchema>, string> = {
  PORT: 'HTTP port (0 picks a free one).',
  HOST: 'Interface to listen on.',
  DOSSIER_DATA_DIR: 'Data directory: SQLite file, local object store, inbox.',
  DOSSIER_ADMIN_TOKEN: 'Bearer token that is always an admin (bootstrap for scripts).',
  DOSSIER_DEMO: 'Load the demo data set into an empty data dir (`off` to skip).',
  DOSSIER_LOG_LEVEL: 'pino log level.',
  DOSSIER_MAX_UPLOAD_MB: 'Largest accepted upload per file, in MiB.',
  DOSSIER_JSON_LIMIT_KB: 'Largest accepted JSON body, in KiB.',
  DOSSIER_OCR_WORKERS: 'OCR worker count (default: number of cores).',
  DOSSIER_OCR_LANGS: 'OCR languages, `+`-separated (offline traineddata packages).',
  DOSSIER_CUSTOMER_PATTERN: 'Regular expression of a CRM customer number.',
  DOSSIER_SCOPES: 'Active CRM scopes on first start, comma-separated (`sales,care,loyalty`).',
  DOSSIER_OBJECT_STORE: '`local` (files under the data dir) or `s3` (S3/MinIO).',
  DOSSIER_S3_ENDPOINT: 'S3 endpoint URL, e.g. `http://127.0.0.1:9000`.',
  DOSSIER_S3_BUCKET: 'S3 bucket (created if missing).',
  DOSSIER_S3_ACCESS_KEY: 'S3 access key.',
  DOSSIER_S3_SECRET_KEY: 'S3 secret key.',
  DOSSIER_S3_REGION: 'S3 region.',
  DOSSIER_INBOX: 'Watch `<data dir>/inbox` for scanner drop-off.',
  DOSSIER_SHUTDOWN_GRACE_MS: 'How long shutdown waits for requests and jobs to finish.',
  DOSSIER_INBOX_DIR: 'The scanner drop folder (default `<data dir>/inbox`); a mounted SMB/NFS share works, it is polled.',
  DOSSIER_INBOX_POLL_MS: 'How often the inbox folder is listed, in ms.',
  DOSSIER_INBOX_STABLE_MS: 'How long a file\'s size and mtime must stay unchanged before it is taken, in ms (on top of two equal polls).',
  DOSSIER_INTAKE_BARCODES: 'Read every intake\'s pages for separator and cover sheets, paper labels and reply coupons before OCR (`off` to skip).',
  DOSSIER_IMAP_URL: 'E-mail intake mailbox as one URL, `imaps://user:password@host:993/INBOX` (`imap://` for plain/STARTTLS); or the variables below.',
  DOSSIER_IMAP_HOST: 'E-mail intake: IMAP server (enables e-mail intake).',
  DOSSIER_IMAP_PORT: 'E-mail intake: port (default 993 with TLS, 143 without).',
  DOSSIER_IMAP_USER: 'E-mail intake: user name.',
  DOSSIER_IMAP_PASSWORD: 'E-mail intake: password.',
  DOSSIER_IMAP_MAILBOX: 'E-mail intake: mailbox to read (default `INBOX`).',
  DOSSIER_IMAP_TLS: 'E-mail intake: TLS from the start (`off`: plain, STARTTLS when offered).',
  DOSSIER_IMAP_INTERVAL_MS: 'E-mail intake: how often the mailbox is read, in ms.',
  DOSSIER_IMAP_PROCESSED: 'E-mail intake: a processed message is flagged (`flag`: \\Seen and `$Dossierlink`) or moved (`move`).',
  DOSSIER_IMAP_MOVE_TO: 'E-mail intake: the folder processed messages move to with `move` (created if missing).',
  DOSSIER_IMAP_MAX_ATTEMPTS: 'E-mail intake: tries per message before it is reported as failed (the message stays in the mailbox).',
};

export class ConfigError extends Error {}

/** Parses the environment once. The only place that reads `process.env`. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  try {
    new RegExp(`^${e.DOSSIER_CUSTOMER_PATTERN}$`);
  } catch {
    throw new ConfigError(`Invalid configuration:\n  DOSSIER_CUSTOMER_PATTERN: not a regular expression`);
  }
  const dataDir = path.resolve(e.DOSSIER_DATA_DIR);
  let objectStore: Config['objectStore'] = { kind: 'local', root: path.join(dataDir, 'objects') };
  if (e.DOSSIER_OBJECT_STORE === 's3') {
    if (!e.DOSSIER_S3_ENDPOINT || !e.DOSSIER_S3_ACCESS_KEY || !e.DOSSIER_S3_SECRET_KEY) {
      throw new ConfigError(
        'Invalid configuration:\n  DOSSIER_OBJECT_STORE=s3 needs DOSSIER_S3_ENDPOINT, DOSSIER_S3_ACCESS_KEY and DOSSIER_S3_SECRET_KEY',
      );
    }
    objectStore = {
      kind: 's3',
      endPoint: e.DOSSIER_S3_ENDPOINT,
      bucket: e.DOSSIER_S3_BUCKET,
      accessKey: e.DOSSIER_S3_ACCESS_KEY,
      secretKey: e.DOSSIER_S3_SECRET_KEY,
      region: e.DOSSIER_S3_REGION,
    };
  }
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    adminToken: e.DOSSIER_ADMIN_TOKEN,
    demo: e.DOSSIER_DEMO,
    logLevel: e.DOSSIER_LOG_LEVEL,
    maxUploadBytes: Math.round(e.DOSSIER_MAX_UPLOAD_MB * 1024 * 1024),
    jsonLimitBytes: e.DOSSIER_JSON_LIMIT_KB * 1024,
    ocrWorkers: e.DOSSIER_OCR_WORKERS,
    ocrLangs: e.DOSSIER_OCR_LANGS.split('+'),
    customerPattern: e.DOSSIER_CUSTOMER_PATTERN,
    defaultScopes: e.DOSSIER_SCOPES.split(','),
    objectStore,
    inbox: e.DOSSIER_INBOX,
    shutdownGraceMs: e.DOSSIER_SHUTDOWN_GRACE_MS,
    inboxDir: e.DOSSIER_INBOX_DIR ? path.resolve(e.DOSSIER_INBOX_DIR) : path.join(dataDir, 'inbox'),
    inboxPollMs: e.DOSSIER_INBOX_POLL_MS,
    inboxStableMs: e.DOSSIER_INBOX_STABLE_MS,
    intakeBarcodes: e.DOSSIER_INTAKE_BARCODES,
    imap: imapConfig(e),
  };
}

/** The IMAP settings from DOSSIER_IMAP_URL or the separate variables (these override the URL's parts). */
function imapConfig(e: z.infer<typeof EnvSchema>): ImapConfig | null {
  let url: URL | null = null;
  if (e.DOSSIER_IMAP_URL) {
    try {
      url = new URL(e.DOSSIER_IMAP_URL);
    } catch {
      throw new ConfigError('Invalid configuration:\n  DOSSIER_IMAP_URL: not a URL');
    }
  }
  const host = e.DOSSIER_IMAP_HOST ?? url?.hostname;
  if (!host) return null;
  const secure = e.DOSSIER_IMAP_HOST ? e.DOSSIER_IMAP_TLS : url ? url.protocol === 'imaps:' : e.DOSSIER_IMAP_TLS;
  const user = e.DOSSIER_IMAP_USER ?? (url?.username ? decodeURIComponent(url.username) : undefined);
  if (!user) throw new ConfigError('Invalid configuration:\n  e-mail intake needs DOSSIER_IMAP_USER (or a user in DOSSIER_IMAP_URL)');
  const mailbox = e.DOSSIER_IMAP_MAILBOX ?? (url && url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : 'INBOX');
  return {
    host,
    port: e.DOSSIER_IMAP_PORT ?? (url?.port ? Number(url.port) : secure ? 993 : 143),
    secure,
    user,
    password: e.DOSSIER_IMAP_PASSWORD ?? (url?.password ? decodeURIComponent(url.password) : ''),
    mailbox,
    intervalMs: e.DOSSIER_IMAP_INTERVAL_MS,
    processed: e.DOSSIER_IMAP_PROCESSED,
    moveTo: e.DOSSIER_IMAP_MOVE_TO,
    maxAttempts: e.DOSSIER_IMAP_MAX_ATTEMPTS,
  };
}

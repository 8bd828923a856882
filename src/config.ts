import { availableParallelism } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseAllowList, type AllowList } from './domain/address-policy.js';

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
  DOSSIER_OCR_ENGINE: z.enum(['tesseract-js', 'native']).default('tesseract-js'),
  DOSSIER_OCR_ISOLATION: z.enum(['process', 'thread']).default('process'),
  DOSSIER_OCR_WARMUP: flag(true),
  DOSSIER_READING_NICE: z.coerce.number().int().min(0).max(19).default(10),
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
  // Accounts, sessions and single sign-on (issue #16).
  DOSSIER_SESSION_IDLE_MINUTES: z.coerce.number().positive().default(30),
  DOSSIER_SESSION_MAX_HOURS: z.coerce.number().positive().default(12),
  DOSSIER_COOKIE_SECURE: z.enum(['auto', 'on', 'off']).default('auto'),
  DOSSIER_SIGNIN_LIMIT: z.coerce.number().int().positive().default(10),
  DOSSIER_SIGNIN_ADDRESS_LIMIT: z.coerce.number().int().positive().default(50),
  DOSSIER_SIGNIN_WINDOW_MINUTES: z.coerce.number().positive().default(15),
  DOSSIER_SIGNIN_DELAY_MS: z.coerce.number().int().min(0).max(10_000).default(500),
  DOSSIER_DESTROY_GRACE_HOURS: z.coerce.number().min(0).default(24),
  DOSSIER_OIDC_ISSUER: z.string().url().optional(),
  DOSSIER_OIDC_CLIENT_ID: z.string().min(1).optional(),
  DOSSIER_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  DOSSIER_OIDC_REDIRECT_URL: z.string().url().optional(),
  DOSSIER_OIDC_ROLE_CLAIM: z.string().min(1).default('groups'),
  DOSSIER_OIDC_ROLE_MAP: z
    .string()
    .regex(/^[^=,]+=(mailroom|crm|compliance|admin)(,[^=,]+=(mailroom|crm|compliance|admin))*$/, 'a comma-separated list of claim-value=role')
    .default('mailroom=mailroom,crm=crm,compliance=compliance,admin=admin'),
  DOSSIER_OIDC_LABEL: z.string().min(1).max(80).default('Single sign-on'),
  DOSSIER_MAX_PAGES: z.coerce.number().int().positive().max(100_000).default(500),
  DOSSIER_PREFLIGHT_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  DOSSIER_SWEEP_GRACE_HOURS: z.coerce.number().min(0).max(24 * 365).default(24),
  DOSSIER_SEARCH_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).default(3000),
  DOSSIER_SEARCH_CONNECTIONS: z.coerce.number().int().min(1).max(16).default(2),
  DOSSIER_SEARCH_SLICES: z.coerce.number().int().min(0).max(7).default(Math.min(7, Math.max(0, availableParallelism() - 1))),
  DOSSIER_SEARCH_RATE_LIMIT: z.coerce.number().int().min(0).default(60),
  DOSSIER_WEBHOOK_ALLOW: z
    .string()
    .optional()
    .refine((v) => {
      try {
        parseAllowList(v);
        return true;
      } catch {
        return false;
      }
    }, 'a comma-separated list of IP addresses or CIDR ranges, e.g. 127.0.0.1/32,10.0.0.0/8'),
  DOSSIER_AUDIT_KEY: z.string().min(32, 'DOSSIER_AUDIT_KEY must be at least 32 characters').optional(),
  DOSSIER_AUDIT_CHECKPOINTS: z.string().min(1).optional(),
  DOSSIER_AUDIT_CHECKPOINT_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
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
  // Beyond one machine (issue #13).
  DOSSIER_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL')
    .optional(),
  DOSSIER_DATABASE_POOL: z.coerce.number().int().min(1).max(200).default(10),
  DOSSIER_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  DOSSIER_JOB_WORKER_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
});

/** The environment variables the service reads, as parsed (their meaning: config-docs.ts). */
export type EnvVars = z.infer<typeof EnvSchema>;

export type Config = {
  /** PostgreSQL (issue #13) when set; otherwise the embedded SQLite file in the data dir. */
  database: { url: string | null; poolSize: number };
  /** `api` serves HTTP and runs no jobs, `worker` runs jobs and serves only health, `all` both (the default). */
  role: 'all' | 'api' | 'worker';
  /** PostgreSQL job runners: silence after which another process takes a runner's jobs back (its heartbeat is a quarter of it). */
  jobs: { workerTimeoutMs: number };
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
  ocrEngine: 'tesseract-js' | 'native';
  /** Where the native engine's library reads: an OCR process of its own, or threads of the service's process. */
  ocrIsolation: 'process' | 'thread';
  /** Warm page reading up when a job process starts (main.ts). */
  ocrWarmUp: boolean;
  /** The nice value page reading runs at (src/adapters/background-priority.ts); 0: the requests' own. */
  readingNice: number;
  customerPattern: string;
  defaultScopes: string[];
  objectStore:
    | { kind: 'local'; root: string }
    | { kind: 's3'; endPoint: string; bucket: string; accessKey: string; secretKey: string; region: string };
  inbox: boolean;
  shutdownGraceMs: number;
  accounts: {
    sessionIdleMs: number;
    sessionMaxMs: number;
    cookieSecure: 'auto' | 'on' | 'off';
    signInLimit: number;
    signInAddressLimit: number;
    signInWindowMs: number;
    signInDelayMs: number;
    destroyGraceMs: number;
  };
  /** OpenID Connect single sign-on, when DOSSIER_OIDC_ISSUER is set. */
  oidc?: {
    issuer: string;
    clientId: string;
    clientSecret?: string;
    redirectUrl?: string;
    roleClaim: string;
    /** claim value → role */
    roleMap: Record<string, 'mailroom' | 'crm' | 'compliance' | 'admin'>;
    label: string;
  };
  maxPages: number;
  preflightConcurrency: number;
  sweepGraceMs: number;
  /** Issue #14: what one search may cost and how often a user may search (0 = unlimited). */
  search: { timeoutMs: number; connections: number; slices: number; ratePerMinute: number };
  /** Internal address ranges webhooks may reach anyway (on-premise receivers). */
  webhookAllow: AllowList;
  /** The audit seal (issue #14): a key and a checkpoint log, both outside the database. */
  /**
   * `checkpoints`: where signed checkpoints go — the file, or (PostgreSQL with S3 and no file
   * named) the shared bucket, so every process on every machine appends to one log.
   */
  audit: { key?: string; keyFile: string; checkpointFile: string; checkpoints: 'file' | 's3'; checkpointEveryMs: number };
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
  // Processes that share one PostgreSQL must chain and sign the audit log with one key; a key file
  // made per data dir would give each its own and break the chain for the others (issue #13).
  if (e.DOSSIER_DATABASE_URL && !e.DOSSIER_AUDIT_KEY) {
    throw new ConfigError(
      'Invalid configuration:\n  DOSSIER_DATABASE_URL needs DOSSIER_AUDIT_KEY (32+ characters), the same in every process: the audit chain is keyed and signed with it',
    );
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
    database: { url: e.DOSSIER_DATABASE_URL ?? null, poolSize: e.DOSSIER_DATABASE_POOL },
    role: e.DOSSIER_ROLE,
    jobs: { workerTimeoutMs: e.DOSSIER_JOB_WORKER_TIMEOUT_MS },
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
    ocrEngine: e.DOSSIER_OCR_ENGINE,
    ocrIsolation: e.DOSSIER_OCR_ISOLATION,
    ocrWarmUp: e.DOSSIER_OCR_WARMUP,
    readingNice: e.DOSSIER_READING_NICE,
    customerPattern: e.DOSSIER_CUSTOMER_PATTERN,
    defaultScopes: e.DOSSIER_SCOPES.split(','),
    objectStore,
    inbox: e.DOSSIER_INBOX,
    shutdownGraceMs: e.DOSSIER_SHUTDOWN_GRACE_MS,
    accounts: {
      sessionIdleMs: e.DOSSIER_SESSION_IDLE_MINUTES * 60_000,
      sessionMaxMs: e.DOSSIER_SESSION_MAX_HOURS * 3_600_000,
      cookieSecure: e.DOSSIER_COOKIE_SECURE,
      signInLimit: e.DOSSIER_SIGNIN_LIMIT,
      signInAddressLimit: e.DOSSIER_SIGNIN_ADDRESS_LIMIT,
      signInWindowMs: e.DOSSIER_SIGNIN_WINDOW_MINUTES * 60_000,
      signInDelayMs: e.DOSSIER_SIGNIN_DELAY_MS,
      destroyGraceMs: e.DOSSIER_DESTROY_GRACE_HOURS * 3_600_000,
    },
    oidc: oidcConfig(e),
    maxPages: e.DOSSIER_MAX_PAGES,
    preflightConcurrency: e.DOSSIER_PREFLIGHT_CONCURRENCY,
    sweepGraceMs: Math.round(e.DOSSIER_SWEEP_GRACE_HOURS * 3_600_000),
    search: { timeoutMs: e.DOSSIER_SEARCH_TIMEOUT_MS, connections: e.DOSSIER_SEARCH_CONNECTIONS, slices: e.DOSSIER_SEARCH_SLICES, ratePerMinute: e.DOSSIER_SEARCH_RATE_LIMIT },
    webhookAllow: parseAllowList(e.DOSSIER_WEBHOOK_ALLOW),
    audit: {
      key: e.DOSSIER_AUDIT_KEY,
      keyFile: path.join(dataDir, 'audit.key'),
      checkpointFile: path.resolve(e.DOSSIER_AUDIT_CHECKPOINTS ?? path.join(dataDir, 'audit-checkpoints.jsonl')),
      checkpoints: e.DOSSIER_DATABASE_URL && objectStore.kind === 's3' && !e.DOSSIER_AUDIT_CHECKPOINTS ? 's3' : 'file',
      checkpointEveryMs: e.DOSSIER_AUDIT_CHECKPOINT_SECONDS * 1000,
    },
    inboxDir: e.DOSSIER_INBOX_DIR ? path.resolve(e.DOSSIER_INBOX_DIR) : path.join(dataDir, 'inbox'),
    inboxPollMs: e.DOSSIER_INBOX_POLL_MS,
    inboxStableMs: e.DOSSIER_INBOX_STABLE_MS,
    intakeBarcodes: e.DOSSIER_INTAKE_BARCODES,
    imap: imapConfig(e),
  };
}

function oidcConfig(e: z.infer<typeof EnvSchema>): Config['oidc'] {
  if (!e.DOSSIER_OIDC_ISSUER) return undefined;
  if (!e.DOSSIER_OIDC_CLIENT_ID) throw new ConfigError('Invalid configuration:\n  DOSSIER_OIDC_ISSUER needs DOSSIER_OIDC_CLIENT_ID');
  const issuer = new URL(e.DOSSIER_OIDC_ISSUER);
  // Plain http only on this machine (a test or a local provider); elsewhere tokens would cross the network in clear.
  if (issuer.protocol !== 'https:' && !['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname)) {
    throw new ConfigError('Invalid configuration:\n  DOSSIER_OIDC_ISSUER must be https (plain http only on loopback)');
  }
  const roleMap: Record<string, 'mailroom' | 'crm' | 'compliance' | 'admin'> = {};
  for (const pair of e.DOSSIER_OIDC_ROLE_MAP.split(',')) {
    const [value, role] = pair.split('=');
    roleMap[value.trim()] = role.trim() as 'mailroom' | 'crm' | 'compliance' | 'admin';
  }
  return {
    issuer: e.DOSSIER_OIDC_ISSUER,
    clientId: e.DOSSIER_OIDC_CLIENT_ID,
    clientSecret: e.DOSSIER_OIDC_CLIENT_SECRET,
    redirectUrl: e.DOSSIER_OIDC_REDIRECT_URL,
    roleClaim: e.DOSSIER_OIDC_ROLE_CLAIM,
    roleMap,
    label: e.DOSSIER_OIDC_LABEL,
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

import { chmod, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { createObjectStore } from './adapters/object-store/create-object-store.js';
import type { ObjectStore } from './adapters/object-store/object-store.js';
import type { Config } from './config.js';
import { setReadingNice } from './adapters/background-priority.js';
import { SqliteDatabase, type Database } from './db/database.js';
import { openDatabase } from './db/open-database.js';
import { instanceRepository } from './db/instance.repository.js';
import { migrate } from './db/migrate.js';
import { createApp } from './http/app.js';
import { apiRoutes } from './http/api-routes.js';
import { AuditService, type AuditSeal } from './services/audit.service.js';
import { loadAuditKey } from './adapters/audit/audit-key.js';
import { FileCheckpointLog } from './adapters/audit/checkpoint-log.js';
import { systemClock, today, type Clock } from './services/clock.js';
import { DocumentsService } from './services/documents.service.js';
import { PaperService } from './services/paper.service.js';
import { ScopesService } from './services/scopes.service.js';
import { UsersService } from './services/users.service.js';
import { VERSION } from './version.js';
import { createTesseractOcrEngine } from './adapters/ocr/tesseract-ocr.engine.js';
import { createNativeTesseractEngine, nativeTesseractAvailable } from './adapters/ocr/native-tesseract.engine.js';
import type { OcrEngine } from './adapters/ocr/ocr-engine.js';
import { createIngestHandler, type ArchiveBuilder } from './jobs/ingest.job.js';
import { createJobs } from './jobs/create-jobs.js';
import type { JobQueuePort } from './services/job-queue.port.js';
import { IntakeService } from './services/intake.service.js';
import { PipelineService } from './services/pipeline.service.js';
import { SearchService } from './services/search.service.js';
import { InboxWatcher } from './services/inbox.watcher.js';
import { ClassificationService } from './services/classification.service.js';
import { ReviewService } from './services/review.service.js';
import { DestructionService } from './services/destruction.service.js';
import { buildArchivePdf } from './adapters/pdf/archive-pdf.js';
import { DigitiseService } from './services/digitise.service.js';
import { InventoryService } from './services/inventory.service.js';
import { LabelsService } from './services/labels.service.js';
import { LocationsService } from './services/locations.service.js';
import { RequestsService } from './services/requests.service.js';
import { TrackingService } from './services/tracking.service.js';
import { createBarcodeReader } from './adapters/barcode/barcode-reader.js';
import { createCouponsHandler } from './jobs/coupons.job.js';
import { CouponsService } from './services/coupons.service.js';
import { MailingsService } from './services/mailings.service.js';
import { StatusService } from './services/status.service.js';
import { ComplianceReportService } from './services/compliance-report.service.js';
import { DisposalService } from './services/disposal.service.js';
import { HoldsService } from './services/holds.service.js';
import { RetentionService } from './services/retention.service.js';
import { SubjectRightsService } from './services/subject-rights.service.js';
import { ChangesService } from './services/changes.service.js';
import { IMPORT_JOB, ImportService } from './services/import.service.js';
import { MergeAwareCustomersService, MergeService } from './services/merge.service.js';
import { WebhooksService } from './services/webhooks.service.js';
import { ApiTokensService } from './services/api-tokens.service.js';
import { OidcService } from './services/oidc.service.js';
import { SessionsService } from './services/sessions.service.js';
import { SignInService } from './services/sign-in.service.js';
import { Preflight } from './services/preflight.js';
import { OBJECT_SWEEP_JOB, ObjectSweepService } from './services/object-sweep.service.js';
import { GuardedObjectStore } from './services/object-guard.js';
import { RestrictionGuard } from './services/restriction.guard.js';
import { OverviewService } from './services/overview.service.js';
import { ThumbnailService } from './services/thumbnail.service.js';
import { warmUpReading, type WarmUpReport } from './services/reading-warm-up.js';
import { IntakeSplitService, SPLIT_JOB } from './services/intake-split.service.js';
import { MAIL_JOB, MailIntakeService } from './services/mail-intake.service.js';
import { HealthService } from './services/health.service.js';
import { RECOVER_EVERY_MS, runsJobs, SHARED_QUEUE_STALE_MS, workerApp } from './process-roles.js';

export type Services = ReturnType<typeof buildServices>;
/** Every service of an instance, the intake ones included: what the API's routes are built from. */
export type AllServices = Services & ReturnType<typeof intakeServices>;

function buildServices(db: Database, store: ObjectStore, config: Config, clock: Clock, queue: JobQueuePort, logger?: Logger, seal?: AuditSeal) {
  const audit = new AuditService(db, clock, seal);
  const scopes = new ScopesService(db, config.defaultScopes);
  const intake = new IntakeService(db, store, queue, audit, scopes, clock, undefined, new Preflight({ maxPages: config.maxPages, concurrency: config.preflightConcurrency }), config.intakeBarcodes);
  const tracking = new TrackingService(db, audit, clock);
  const locations = new LocationsService(db, audit, clock, tracking);
  const status = new StatusService(audit, clock);
  const users = new UsersService(db, audit, clock, config.adminToken);
  const destruction = new DestructionService(db, store, audit, clock, { directGraceMs: config.accounts.destroyGraceMs });
  return {
    status,
    mailings: new MailingsService(db, audit, status, clock, logger),
    coupons: new CouponsService(db, store, queue, intake, audit, status, scopes, clock),
    intake,
    tracking,
    locations,
    requests: new RequestsService(db, audit, clock),
    inventory: new InventoryService(db, audit, clock, tracking, locations),
    labels: new LabelsService(db, audit, clock),
    digitise: new DigitiseService(db, store, queue, audit, clock, intake),
    search: new SearchService(db, audit, { timeoutMs: config.search.timeoutMs }),
    pipeline: new PipelineService(db, queue, audit, clock),
    classification: new ClassificationService(db, scopes, audit, clock),
    review: new ReviewService(db, audit, scopes, clock, destruction, store),
    destruction,
    objectSweep: new ObjectSweepService(db, store, logger),
    audit,
    scopes,
    users,
    ...accountsServices(db, audit, clock, config, users, logger),
    customers: new MergeAwareCustomersService(db, audit, clock, config.customerPattern),
    documents: new DocumentsService(db, store, audit),
    paper: new PaperService(db, audit, scopes, clock),
    ...complianceServices(db, store, audit, clock, logger),
    ...integrationServices(db, store, queue, audit, clock, config, logger),
    overview: new OverviewService(db, audit, scopes, clock),
    thumbnails: new ThumbnailService(db, store, clock, logger),
  };
}

/** Barcodes in every intake and e-mail intake (issue 18). */
function intakeServices(db: Database, store: ObjectStore, queue: JobQueuePort, clock: Clock, services: Services, config: Config, logger?: Logger) {
  const intakeSplit = new IntakeSplitService({
    db,
    store,
    queue,
    audit: services.audit,
    scopes: services.scopes,
    clock,
    reader: createBarcodeReader(),
    digitise: services.digitise,
    coupons: services.coupons,
    logger,
  });
  const mailIntake = new MailIntakeService({ db, store, queue, audit: services.audit, intake: services.intake, clock, config: config.imap, tmpDir: path.join(config.dataDir, 'tmp'), maxFileBytes: config.maxUploadBytes, logger });
  return { intakeSplit, mailIntake };
}

/** CRM integration: customer imports and merges, outbox webhooks, the delta feed (issue #10). */
function integrationServices(db: Database, store: ObjectStore, queue: JobQueuePort, audit: AuditService, clock: Clock, config: Config, logger?: Logger) {
  return {
    imports: new ImportService(db, store, queue, audit, clock, config.customerPattern, logger),
    merge: new MergeService(db, audit, clock, config.customerPattern),
    webhooks: new WebhooksService(db, audit, clock, logger, undefined, config.webhookAllow),
    changes: new ChangesService(db),
  };
}

/** Sessions, password and single sign-on, API tokens (issue #16). */
function accountsServices(db: Database, audit: AuditService, clock: Clock, config: Config, users: UsersService, logger?: Logger) {
  const a = config.accounts;
  const sessions = new SessionsService(db, audit, clock, { idleMs: a.sessionIdleMs, maxMs: a.sessionMaxMs });
  const apiTokens = new ApiTokensService(db, audit, clock);
  users.sessions = sessions;
  users.apiTokens = apiTokens;
  return {
    sessions,
    apiTokens,
    signIn: new SignInService(db, audit, sessions, clock, { limit: a.signInLimit, addressLimit: a.signInAddressLimit, windowMs: a.signInWindowMs, delayMs: a.signInDelayMs }),
    oidc: config.oidc ? new OidcService(config.oidc, users, sessions, audit, clock, logger) : undefined,
  };
}

/** Retention, legal holds, disposal, subject rights and the compliance report (issue #8). */
function complianceServices(db: Database, store: ObjectStore, audit: AuditService, clock: Clock, logger?: Logger) {
  const holds = new HoldsService(db, audit, clock);
  const disposals = new DisposalService(db, store, audit, new DestructionService(db, store, audit, clock), clock, logger);
  return {
    retention: new RetentionService(db, audit, clock, logger),
    holds,
    disposals,
    subjectRights: new SubjectRightsService(db, store, audit, disposals, clock),
    complianceReport: new ComplianceReportService(db, audit, holds, clock),
  };
}

const WEB_ROOT = fileURLToPath(new URL('./web/public/', import.meta.url));

/**
 * Opens a Dossierlink instance on a data dir: database (migrated), object store, services and the
 * HTTP app. Used by main.ts and by every integration test, so tests run what production runs.
 */
export type OpenOptions = {
  clock?: Clock;
  logger?: Logger;
  /** Replaces the tesseract.js engine (tests of the queue use a slow or failing one). */
  ocr?: OcrEngine;
  buildArchive?: ArchiveBuilder;
};

/**
 * Everything the service writes is for its own user only (issue #16): the umask covers every
 * file and directory created from here on (objects, uploads, exports, the SQLite WAL); the data
 * dir and the database file, which may predate it, are set explicitly.
 */
async function restrictToOwner(dataDir: string) {
  process.umask(0o077);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  const dbFile = path.join(dataDir, 'dossierlink.sqlite');
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) await chmod(f, 0o600).catch(() => undefined);
}

export async function openDossierlink(config: Config, opts: OpenOptions = {}) {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? pino({ level: config.logLevel });
  // Before any reading thread starts: the nice value they start at (and tesseract-worker.cjs reads the same variable).
  setReadingNice(config.readingNice);
  await restrictToOwner(config.dataDir);
  const db = await openDatabase(config);
  try {
    const applied = await migrate(db);
    if (applied.length) logger.info({ applied }, 'database migrated');
    if (db instanceof SqliteDatabase && db.rankingFallback) {
      logger.warn({ reason: db.rankingFallback }, 'search ranks with bm25() (same results, slower on queries with many matches); `npm run build:native` builds the faster bm25d()');
    }
    // Lists and cursors order text byte by byte, as SQLite does, only in a C-collated PostgreSQL database.
    const collation = await instanceRepository.collation(db);
    if (collation && !['C', 'POSIX'].includes(collation)) {
      logger.warn({ collation }, 'the PostgreSQL database does not sort text byte by byte (LC_COLLATE C): lists may order differently than on SQLite; see the README, "Scaling out"');
    }
    // Every put pins its hash first, so a deletion running at the same moment cannot take the object a write relies on.
    const store = new GuardedObjectStore(await createObjectStore(config.objectStore), db, { logger });
    await store.init();
    // The engine's queue: graphile-worker on PostgreSQL, the embedded queue on SQLite (issue #13).
    const { queue, runner } = await createJobs(db, { clock, logger, workerTimeoutMs: config.jobs.workerTimeoutMs });
    // The audit key and checkpoints live outside the database, so whoever can write it cannot rewrite history (issue #14).
    const seal: AuditSeal = {
      key: await loadAuditKey({ configured: config.audit.key, file: config.audit.keyFile, logger }),
      checkpoints:
        config.audit.checkpoints === 's3' && config.objectStore.kind === 's3'
          ? new (await import('./adapters/audit/s3-checkpoint-log.js')).S3CheckpointLog(config.objectStore)
          : new FileCheckpointLog(config.audit.checkpointFile),
      checkpointEveryMs: config.audit.checkpointEveryMs,
      logger,
    };
    const base = buildServices(db, store, config, clock, queue, logger, seal);
    const services = { ...base, ...intakeServices(db, store, queue, clock, base, config, logger) };
    await services.audit.init();
    // The OCR engine starts its workers on first use, so an instance that never OCRs costs nothing.
    if (!opts.ocr && runsJobs(config.role) && config.ocrEngine === 'native' && !(await nativeTesseractAvailable())) {
      throw new Error('DOSSIER_OCR_ENGINE=native but neither native/build/dossier_tesseract.node nor a `tesseract` binary was found (apt-get install tesseract-ocr libtesseract-dev, then npm install)');
    }
    const native =
      !opts.ocr && config.ocrEngine === 'native' ? createNativeTesseractEngine({ langs: config.ocrLangs, workers: config.ocrWorkers, logger, isolation: config.ocrIsolation }) : undefined;
    // libtesseract where native/dossier_tesseract.cc was built (in an OCR process or in threads), else one CLI process a page: the operator sees which.
    if (native && runsJobs(config.role)) {
      const where = native.isolation === 'process' ? 'in an OCR process of its own' : 'in threads of this process (DOSSIER_OCR_ISOLATION=thread)';
      logger.info({ via: native.via, isolation: native.isolation }, native.via === 'library' ? `native OCR runs libtesseract ${where}` : 'native OCR runs the tesseract CLI (libtesseract-dev was not there when npm install ran)');
    }
    const ocr = opts.ocr ?? native ?? createTesseractOcrEngine({ langs: config.ocrLangs, workers: config.ocrWorkers, logger });
    // Dates move on, so states do too (an SLA expires): once a day every document's class is rechecked.
    runner.register('reclassify-daily', async () => {
      await services.classification.daily({ id: 'system', name: 'Daily reclassification', roles: ['admin'] });
    });
    const scheduleDaily = () =>
      db.tx((q) => queue.enqueue(q, { kind: 'reclassify-daily', payload: {}, idempotencyKey: `reclassify-daily:${today(clock)}` }));
    let dailyTimer: NodeJS.Timeout | undefined;
    runner.register(
      'ingest',
      createIngestHandler({
        db,
        store,
        ocr,
        audit: services.audit,
        scopes: services.scopes,
        clock,
        customerPattern: new RegExp(config.customerPattern),
        buildArchive: opts.buildArchive ?? buildArchivePdf,
        logger,
        codes: services.intakeSplit,
        afterIngest: (id) => services.thumbnails.afterIngest(id),
      }),
    );
    runner.register(IMPORT_JOB, (job, ctx) => services.imports.runJob(job as Parameters<ImportService['runJob']>[0], ctx));
    runner.register(OBJECT_SWEEP_JOB, async (_job, ctx) => {
      await services.objectSweep.sweep(config.sweepGraceMs, ctx.signal);
    });
    // Hourly: files whose row never committed, or whose deletes a crash interrupted, go after the grace period.
    const scheduleSweep = () =>
      db.tx((q) => queue.enqueue(q, { kind: OBJECT_SWEEP_JOB, payload: {}, idempotencyKey: `${OBJECT_SWEEP_JOB}:${clock.now().toISOString().slice(0, 13)}`, maxAttempts: 1 }));
    let sweepTimer: NodeJS.Timeout | undefined;
    runner.register(SPLIT_JOB, (job, ctx) => services.intakeSplit.run(job as Parameters<IntakeSplitService['run']>[0], ctx));
    runner.register(MAIL_JOB, (job, ctx) => services.mailIntake.runJob(job as Parameters<MailIntakeService['runJob']>[0], ctx));
    runner.register('coupons', createCouponsHandler({ db, store, coupons: services.coupons, reader: createBarcodeReader(), clock, logger }));
    const restriction = new RestrictionGuard(db, services.audit);
    const health = new HealthService({ db, store, queue, role: config.role, version: VERSION, activeJobs: () => runner.activeJobs().length, logger });
    const authenticate = (t: string) => services.users.authenticate(t);
    const app = config.role === 'worker' ? workerApp({ health, version: VERSION, logger, jsonLimitBytes: config.jsonLimitBytes, authenticate }) : createApp({
      routes: apiRoutes(services, { db, queue, config, health, restriction }),
      authenticate: (t) => services.users.authenticate(t),
      authenticateSession: (id) => services.sessions.resolve(id),
      logger,
      jsonLimitBytes: config.jsonLimitBytes,
      version: VERSION,
      webRoot: WEB_ROOT,
      restriction,
    });
    const inbox = new InboxWatcher(config.dataDir, services.intake, db, new RegExp(config.customerPattern), logger, config.inboxPollMs, {
      dir: config.inboxDir,
      stableMs: config.inboxStableMs,
      shared: config.role === 'worker',
    });
    let recoverTimer: NodeJS.Timeout | undefined;
    let warming: Promise<WarmUpReport | null> | undefined;
    return {
      config,
      clock,
      inbox,
      logger,
      db,
      store,
      services,
      queue,
      runner,
      ocr,
      app,
      health,
      /** Recovers what a crash left behind, then starts processing jobs on every OCR worker. */
      async startWorkers() {
        // An `api` process stores and queues; workers run the jobs, schedules and background intake.
        if (!runsJobs(config.role)) return;
        const shared = config.role === 'worker';
        const recovered = await services.pipeline.recoverAfterRestart(shared ? SHARED_QUEUE_STALE_MS : 0);
        if (recovered.requeued || recovered.failed) logger.info(recovered, 'recovered jobs left by a previous run');
        // One job more than OCR workers: while a job archives, detects and indexes (no OCR), the
        // next job's pages already keep that worker busy.
        // On PostgreSQL OCR-heavy ingest has a pool of its own, so imports, sweeps and intake splits
        // neither wait behind it nor take its slots; the embedded runner keeps one shared pool.
        await runner.start({ concurrency: Math.max(1, ocr.workers) + 1, groups: [{ name: 'ocr', kinds: ['ingest'], concurrency: Math.max(1, ocr.workers) + 1 }] });
        services.webhooks.start();
        await scheduleDaily();
        dailyTimer = setInterval(() => void scheduleDaily().catch((err) => logger.error({ err }, 'could not schedule the daily pass')), 3_600_000);
        dailyTimer.unref();
        await scheduleSweep();
        sweepTimer = setInterval(() => void scheduleSweep().catch((err) => logger.error({ err }, 'could not schedule the object sweep')), 3_600_000);
        sweepTimer.unref();
        if (config.inbox) await inbox.start();
        services.mailIntake.start();
        if (shared) {
          // Jobs of a worker that vanished (SIGKILL, lost machine) go back to the queue for the others.
          recoverTimer = setInterval(() => void services.pipeline.recoverAfterRestart(SHARED_QUEUE_STALE_MS).catch((err) => logger.error({ err }, 'could not recover stale jobs')), RECOVER_EVERY_MS);
          recoverTimer.unref();
        }
      },
      /**
       * Starts every OCR worker and runs page reading hot on a generated page (reading-warm-up.ts),
       * once; main.ts calls it after `startWorkers` unless DOSSIER_OCR_WARMUP=off. Null where this
       * process runs no jobs. Never rejects.
       */
      warmUp(): Promise<WarmUpReport | null> {
        warming ??= runsJobs(config.role) ? warmUpReading({ ocr, codes: services.intakeSplit, buildArchive: opts.buildArchive ?? buildArchivePdf, logger }) : Promise.resolve(null);
        return warming;
      },
      /** Stops taking work, lets running jobs finish within the grace period, then closes everything. */
      async close(graceMs = config.shutdownGraceMs) {
        health.markDraining();
        clearInterval(recoverTimer);
        clearInterval(dailyTimer);
        clearInterval(sweepTimer);
        await inbox.stop();
        await services.mailIntake.stop();
        await services.webhooks.stop();
        await runner.stop({ graceMs });
        await ocr.terminate();
        await services.audit.close();
        await db.close();
      },
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}

export type Dossierlink = Awaited<ReturnType<typeof openDossierlink>>;

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { createObjectStore } from './adapters/object-store/create-object-store.js';
import type { ObjectStore } from './adapters/object-store/object-store.js';
import type { Config } from './config.js';
import { Database } from './db/database.js';
import { migrate } from './db/migrate.js';
import { createApp } from './http/app.js';
import { auditRoutes } from './http/audit.routes.js';
import { customersRoutes } from './http/customers.routes.js';
import { documentsRoutes } from './http/documents.routes.js';
import { metaRoutes } from './http/meta.routes.js';
import { usersRoutes } from './http/users.routes.js';
import { AuditService } from './services/audit.service.js';
import { systemClock, type Clock } from './services/clock.js';
import { CustomersService } from './services/customers.service.js';
import { DocumentsService } from './services/documents.service.js';
import { PaperService } from './services/paper.service.js';
import { ScopesService } from './services/scopes.service.js';
import { UsersService } from './services/users.service.js';
import { VERSION } from './version.js';

export type Services = ReturnType<typeof buildServices>;

function buildServices(db: Database, store: ObjectStore, config: Config, clock: Clock) {
  const audit = new AuditService(db, clock);
  const scopes = new ScopesService(db, config.defaultScopes);
  return {
    audit,
    scopes,
    users: new UsersService(db, audit, clock, config.adminToken),
    customers: new CustomersService(db, audit, clock, config.customerPattern),
    documents: new DocumentsService(db, store, audit),
    paper: new PaperService(db, audit, scopes, clock),
  };
}

const WEB_ROOT = fileURLToPath(new URL('./web/public/', import.meta.url));

/**
 * Opens a Dossierlink instance on a data dir: database (migrated), object store, services and the
 * HTTP app. Used by main.ts and by every integration test, so tests run what production runs.
 */
export async function openDossierlink(config: Config, opts: { clock?: Clock; logger?: Logger } = {}) {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? pino({ level: config.logLevel });
  await mkdir(config.dataDir, { recursive: true });
  const db = await Database.open(path.join(config.dataDir, 'dossierlink.sqlite'));
  try {
    const applied = await migrate(db);
    if (applied.length) logger.info({ applied }, 'database migrated');
    const store = createObjectStore(config.objectStore);
    await store.init();
    const services = buildServices(db, store, config, clock);
    const app = createApp({
      routes: [
        ...metaRoutes(VERSION),
        ...usersRoutes(services.users),
        ...customersRoutes(services.customers),
        ...documentsRoutes(services.documents, services.paper),
        ...auditRoutes(services.audit),
      ],
      authenticate: (t) => services.users.authenticate(t),
      logger,
      jsonLimitBytes: config.jsonLimitBytes,
      version: VERSION,
      webRoot: WEB_ROOT,
    });
    return {
      config,
      clock,
      logger,
      db,
      store,
      services,
      app,
      async close() {
        await db.close();
      },
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}

export type Dossierlink = Awaited<ReturnType<typeof openDossierlink>>;

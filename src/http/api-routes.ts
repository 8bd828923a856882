import path from 'node:path';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { AllServices } from '../dossierlink.js';
import type { HealthService } from '../services/health.service.js';
import type { JobQueuePort } from '../services/job-queue.port.js';
import type { RestrictionGuard } from '../services/restriction.guard.js';
import { VERSION } from '../version.js';
import { accountsRoutes } from './accounts.routes.js';
import { auditRoutes } from './audit.routes.js';
import { classificationRoutes } from './classification.routes.js';
import { complianceRoutes } from './compliance.routes.js';
import { customersRoutes } from './customers.routes.js';
import { documentsRoutes } from './documents.routes.js';
import { ingestRoutes } from './ingest.routes.js';
import { intakeRoutes } from './intake.routes.js';
import { integrationRoutes } from './integration.routes.js';
import { labelsRoutes } from './labels.routes.js';
import { locationsRoutes } from './locations.routes.js';
import { mailingsRoutes } from './mailings.routes.js';
import { metaRoutes } from './meta.routes.js';
import { overviewRoutes } from './overview.routes.js';
import { retentionRoutes } from './retention.routes.js';
import { trackingRoutes } from './tracking.routes.js';
import { usersRoutes } from './users.routes.js';

/**
 * The API's route table: every route of every area, in the order express matches them. The
 * routes carry their own roles, schemas and OpenAPI text (route.ts); this only hands each area
 * the services it needs.
 */
export function apiRoutes(
  services: AllServices,
  deps: { db: Database; queue: JobQueuePort; config: Config; health: HealthService; restriction: RestrictionGuard },
) {
  const { db, queue, config, health, restriction } = deps;
  return [
    ...metaRoutes(VERSION, health),
    ...usersRoutes(services.users, services.sessions),
    ...accountsRoutes({ ...services, cookieSecure: config.accounts.cookieSecure }),
    ...customersRoutes(services.customers),
    ...documentsRoutes(services.documents, services.paper, services.destruction),
    ...auditRoutes(services.audit),
    ...retentionRoutes({ retention: services.retention, holds: services.holds, disposals: services.disposals, restriction }),
    ...complianceRoutes({ subjectRights: services.subjectRights, report: services.complianceReport }),
    ...classificationRoutes({ scopes: services.scopes, classification: services.classification, review: services.review }),
    ...ingestRoutes({
      intake: services.intake,
      search: services.search,
      queue,
      pipeline: services.pipeline,
      uploadTmpDir: path.join(config.dataDir, 'tmp', 'uploads'),
      maxUploadBytes: config.maxUploadBytes,
      searchRatePerMinute: config.search.ratePerMinute,
      restriction,
    }),
    ...locationsRoutes(services.locations, services.labels),
    ...labelsRoutes(services.labels),
    ...trackingRoutes({
      tracking: services.tracking,
      requests: services.requests,
      inventory: services.inventory,
      digitise: services.digitise,
      uploadTmpDir: path.join(config.dataDir, 'tmp', 'uploads'),
      maxUploadBytes: config.maxUploadBytes,
      restriction,
    }),
    ...mailingsRoutes({
      mailings: services.mailings,
      coupons: services.coupons,
      uploadTmpDir: path.join(config.dataDir, 'tmp', 'uploads'),
      maxUploadBytes: config.maxUploadBytes,
    }),
    ...integrationRoutes({ db, ...services, uploadTmpDir: path.join(config.dataDir, 'tmp', 'uploads'), maxUploadBytes: config.maxUploadBytes }),
    ...overviewRoutes(services.overview, services.thumbnails),
    ...intakeRoutes({ split: services.intakeSplit, mail: services.mailIntake }),
  ];
}

import path from 'node:path';
import type { Config } from '../config.js';
import { SqliteDatabase, type Database } from './database.js';

/**
 * The database this configuration asks for: PostgreSQL when `DOSSIER_DATABASE_URL` is set,
 * otherwise the embedded SQLite file in the data dir (the two-command default). The PostgreSQL
 * adapter and its driver are loaded only then: an embedded instance does not read them at start.
 *
 *     const db = await openDatabase(loadConfig(process.env));
 */
export async function openDatabase(config: Pick<Config, 'database' | 'dataDir' | 'search' | 'role'>): Promise<Database> {
  if (config.database.url) {
    const { PgDatabase } = await import('./pg-database.js');
    return PgDatabase.open(config.database.url, {
      poolSize: config.database.poolSize,
      searchConnections: config.search.connections,
      applicationName: `dossierlink-${config.role}`,
    });
  }
  return SqliteDatabase.open(path.join(config.dataDir, 'dossierlink.sqlite'), { searchConnections: config.search.connections, sliceConnections: config.search.slices });
}

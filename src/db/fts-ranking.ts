import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type sqlite3 from 'sqlite3';

/**
 * native/dossier_fts.c built by scripts/build-native.mjs (npm install): bm25d(), FTS5's bm25
 * with the row's length read by the query itself. Found beside the sources (tsx) or the compiled
 * output (dist/), or null when it was not built.
 */
export function rankingExtensionPath(): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = path.dirname(dir)) {
    const file = path.join(dir, 'native', 'build', 'dossier_fts.so');
    if (existsSync(file)) return file;
  }
  return null;
}

/**
 * Loads bm25d() into a connection. SQLite's load_extension() stays off for SQL: the sqlite3
 * package enables loading for this call only.
 */
export function loadRanking(conn: sqlite3.Database, file: string): Promise<void> {
  return new Promise((resolve, reject) => conn.loadExtension(file, (err) => (err ? reject(err) : resolve())));
}

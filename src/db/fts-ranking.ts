import type sqlite3 from 'sqlite3';
import { nativeBuildFile } from '../native-build.js';

/**
 * native/dossier_fts.c built by scripts/build-native.mjs (npm install): bm25d(), FTS5's bm25
 * with the row's length read by the query itself; null when it was not built.
 */
export function rankingExtensionPath(): string | null {
  return nativeBuildFile('dossier_fts.so');
}

/**
 * Loads bm25d() into a connection. SQLite's load_extension() stays off for SQL: the sqlite3
 * package enables loading for this call only.
 */
export function loadRanking(conn: sqlite3.Database, file: string): Promise<void> {
  return new Promise((resolve, reject) => conn.loadExtension(file, (err) => (err ? reject(err) : resolve())));
}

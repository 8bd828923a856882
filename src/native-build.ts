import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A file scripts/build-native.mjs built into native/build/ (at `npm install`), found beside the
 * sources (tsx) or the compiled output (dist/), or null when it was not built.
 * @example const so = nativeBuildFile('dossier_fts.so');
 */
export function nativeBuildFile(name: string): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = path.dirname(dir)) {
    const file = path.join(dir, 'native', 'build', name);
    if (existsSync(file)) return file;
  }
  return null;
}

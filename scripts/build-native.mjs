// Builds native/dossier_fts.c, the search's faster bm25 (see that file), into
// native/build/dossier_fts.so as a SQLite extension, against the headers of the SQLite that the
// sqlite3 package bundles. Run by `npm install` (postinstall) and by hand after an upgrade of
// sqlite3. Never fails the install: without a C compiler searches rank with bm25() itself, with
// the same results, and the service says so when it starts.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'native', 'dossier_fts.c');
const out = path.join(root, 'native', 'build', 'dossier_fts.so');
const deps = path.join(root, 'node_modules', 'sqlite3', 'deps');

function warn(why) {
  console.warn(`!! native/dossier_fts.c not built (${why}): search ranks with SQLite's bm25(), same results, slower on queries with many matches`);
}

try {
  const tarball = existsSync(deps) && readdirSync(deps).find((f) => /^sqlite-autoconf-\d+\.tar\.gz$/.test(f));
  if (!tarball) {
    warn('the sqlite3 package ships no SQLite sources to build against');
  } else {
    const headers = mkdtempSync(path.join(tmpdir(), 'dossier-fts-'));
    try {
      execFileSync('tar', ['-xzf', path.join(deps, tarball), '-C', headers, '--strip-components=1', '--wildcards', '*/sqlite3.h', '*/sqlite3ext.h']);
      mkdirSync(path.dirname(out), { recursive: true });
      const shared = process.platform === 'darwin' ? ['-dynamiclib', '-undefined', 'dynamic_lookup'] : ['-shared'];
      execFileSync(process.env.CC || 'cc', ['-O2', '-fPIC', ...shared, '-I', headers, '-o', out, source, '-lm'], { stdio: ['ignore', 'inherit', 'inherit'] });
      console.log(`built ${path.relative(root, out)} against ${tarball.replace(/\.tar\.gz$/, '')}`);
    } finally {
      rmSync(headers, { recursive: true, force: true });
    }
  }
} catch (err) {
  warn(err instanceof Error ? err.message.split('\n')[0] : String(err));
}

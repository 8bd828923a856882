// Builds native/dossier_fts.c, the search's faster bm25 (see that file), into
// native/build/dossier_fts.so as a SQLite extension, against the headers of the SQLite that the
// sqlite3 package bundles. Run by `npm install` (postinstall) and by hand after an upgrade of
// sqlite3. Never fails the install: without a C compiler searches rank with bm25() itself, with
// the same results, and the service says so when it starts.
//
// Where libtesseract-dev is installed (Debian), also builds native/dossier_tesseract.cc into
// native/build/dossier_tesseract.node: the native OCR engine in-process (DOSSIER_OCR_ENGINE=native).
// Without it that engine runs the `tesseract` CLI, same words, slower.
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

// The in-process native OCR engine: Node-API (ABI-stable) against the system's libtesseract.
const ocrSource = path.join(root, 'native', 'dossier_tesseract.cc');
const ocrOut = path.join(root, 'native', 'build', 'dossier_tesseract.node');
try {
  // Node's own headers: beside the running binary (Debian, nodesource, nvm and the official tarballs all ship them there).
  const nodeHeaders = [path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node'), '/usr/include/node'].find((d) => existsSync(path.join(d, 'node_api.h')));
  const tessHeaders = ['/usr/include', '/usr/local/include', '/opt/homebrew/include'].find((d) => existsSync(path.join(d, 'tesseract', 'baseapi.h')));
  rmSync(ocrOut, { force: true });
  if (process.platform === 'win32') {
    console.log('native/dossier_tesseract.cc not built (Windows): DOSSIER_OCR_ENGINE=native runs the tesseract CLI');
  } else if (!tessHeaders) {
    console.log('native/dossier_tesseract.cc not built (no libtesseract-dev): DOSSIER_OCR_ENGINE=native runs the tesseract CLI, same words, slower');
  } else if (!nodeHeaders) {
    console.log("native/dossier_tesseract.cc not built (Node's headers not found): DOSSIER_OCR_ENGINE=native runs the tesseract CLI");
  } else {
    mkdirSync(path.dirname(ocrOut), { recursive: true });
    const shared = process.platform === 'darwin' ? ['-dynamiclib', '-undefined', 'dynamic_lookup'] : ['-shared'];
    execFileSync(process.env.CXX || 'c++', ['-O2', '-fPIC', '-std=c++17', ...shared, '-I', nodeHeaders, '-I', tessHeaders, '-o', ocrOut, ocrSource, '-L', path.join(path.dirname(tessHeaders), 'lib'), '-ltesseract'], { stdio: ['ignore', 'inherit', 'inherit'] });
    console.log(`built ${path.relative(root, ocrOut)} against libtesseract`);
  }
} catch (err) {
  console.warn(`!! native/dossier_tesseract.cc not built (${err instanceof Error ? err.message.split('\n')[0] : String(err)}): DOSSIER_OCR_ENGINE=native runs the tesseract CLI`);
}

// Runs the test suite with Node's own test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [dir-or-file ...]   (default: test/)
// A test with no timeout of its own fails after 10 minutes instead of holding CI until its limit.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

function collect(p, out) {
  const st = statSync(p);
  if (st.isDirectory()) {
    for (const name of readdirSync(p).sort()) collect(path.join(p, name), out);
  } else if (/\.test\.ts$/.test(p)) {
    out.push(p);
  }
  return out;
}

const targets = process.argv.slice(2);
const files = (targets.length ? targets : ['test']).flatMap((t) => collect(t, []));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=600000', ...files], {
  stdio: 'inherit',
  env: { ...process.env, DOSSIER_LOG_LEVEL: process.env.DOSSIER_LOG_LEVEL ?? 'silent' },
});
process.exit(res.status ?? 1);

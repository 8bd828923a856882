// Runs the test suite with Node's own test runner.
// Usage: node scripts/run-tests.mjs [--postgres] [--compiled] [dir-or-file ...]   (default: test/, without test/postgres)
//        node scripts/run-tests.mjs --both   (what npm test runs: build, then both passes at once)
// A run of chosen files goes through tsx (no build). `--both` compiles once (tsc, which also
// type-checks, plus the assets) and runs the compiled files under dist/ (`--compiled`): on Node 20
// tsx's module hooks cost ~1.7 s of startup per test file and per child process it starts.
// --postgres starts one private PostgreSQL server for the whole run (scripts/postgres-server.mjs)
// and runs the same tests with every app on a database of its own there (issue #13).
// A test with no timeout of its own fails after 10 minutes instead of holding CI until its limit.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
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

const args = process.argv.slice(2);

// --both (npm test): the SQLite pass of everything and the PostgreSQL pass of the integration suite
// and test/postgres at the same time, one per core (each runs its files one by one); the
// PostgreSQL pass's report is printed after the first, not interleaved with it.
if (args[0] === '--both') {
  const self = new URL(import.meta.url).pathname;
  const built = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
  const copied = spawnSync(process.execPath, ['scripts/copy-assets.mjs'], { stdio: 'inherit' });
  if (copied.status !== 0) process.exit(copied.status ?? 1);
  const sqlite = spawn(process.execPath, [self, '--compiled'], { stdio: 'inherit' });
  const pg = spawn(process.execPath, [self, '--compiled', '--postgres', 'test/postgres', 'test/integration'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = [];
  pg.stdout.on('data', (d) => out.push(d));
  pg.stderr.on('data', (d) => out.push(d));
  const done = (c) => new Promise((resolve) => c.on('exit', (code, sig) => resolve(code ?? (sig ? 1 : 0))));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => (sqlite.kill(sig), pg.kill(sig)));
  const [a, b] = await Promise.all([done(sqlite), done(pg)]);
  process.stdout.write(`\n# ===== PostgreSQL pass =====\n${Buffer.concat(out).toString('utf8')}`);
  console.log(`# SQLite pass exit ${a}, PostgreSQL pass exit ${b}`);
  process.exit(a || b);
}
const postgres = args.includes('--postgres');
const compiled = args.includes('--compiled');
const targets = args.filter((a) => a !== '--postgres' && a !== '--compiled');
// test/postgres holds tests of PostgreSQL itself: they need the server, so only the --postgres pass runs them.
const files = (targets.length ? targets : ['test'])
  .flatMap((t) => collect(t, []))
  .filter((f) => postgres || targets.length || !f.startsWith(path.join('test', 'postgres')));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// A file that never opens the database (an engine test, or one that opens SQLite on purpose) says
// so in its first lines, `// postgres-pass: skip (why)`, and the PostgreSQL pass does not run it twice.
const skipInPg = (f) => /^\/\/ postgres-pass: skip/m.test(readFileSync(f, 'utf8').split('\n').slice(0, 5).join('\n'));
if (postgres) {
  const skipped = files.filter(skipInPg);
  if (skipped.length) console.log(`# PostgreSQL pass leaves out ${skipped.length} files that do not use the database: ${skipped.join(', ')}`);
  files.splice(0, files.length, ...files.filter((f) => !skipInPg(f)));
}
const env = { ...process.env, DOSSIER_LOG_LEVEL: process.env.DOSSIER_LOG_LEVEL ?? 'silent' };
let server = null;
if (postgres) {
  const { startPostgres } = await import('./postgres-server.mjs');
  server = await startPostgres();
  env.DOSSIER_TEST_PG_URL = server.url;
  console.log(`# PostgreSQL pass: ${server.url}`);
}
// Compiled: each test file's twin under dist/ (built by --both), with stack traces mapped back to the .ts lines.
const twin = (f) => path.join('dist', f.replace(/\.ts$/, '.js'));
const missing = compiled ? files.filter((f) => !existsSync(twin(f))) : [];
if (missing.length) {
  console.error(`not built: ${missing.join(', ')} (npm run build, or leave out --compiled)`);
  process.exit(1);
}
const runner = compiled ? ['--enable-source-maps'] : ['--import', 'tsx'];
const child = spawn(process.execPath, [...runner, '--test', '--test-reporter=spec', '--test-timeout=600000', ...(compiled ? files.map(twin) : files)], { stdio: 'inherit', env });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
const code = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
await server?.stop();
process.exit(code);

/**
 * `npm run bench`: speed and memory figures, each printed with a reference measured in the
 * same run on the same machine, so the ratios mean something on a busy or slow box.
 * Options: BENCH_DOCS (search index size, default 100000), BENCH_ONLY=search,mailing,ocr,sync,upload,ingest,dossier,migrate,scale,concurrency,
 * BENCH_SEARCH_ENGINES (default sqlite,postgres: the search section on both engines, PostgreSQL on a private server),
 * BENCH_SEARCH_FILE / BENCH_PG_URL (keep the filled corpus in that SQLite file / PostgreSQL database and reuse it).
 */
import { benchSearch } from './search.bench.js';

type Section = { name: string; run: () => Promise<Record<string, unknown>> };

const sections: Section[] = [
  { name: 'search', run: () => benchSearch(Number(process.env.BENCH_DOCS ?? 100_000)) },
  { name: 'sync', run: async () => (await import('./sync.bench.js')).benchSync() },
  { name: 'mailing', run: async () => (await import('./mailing.bench.js')).benchMailing() },
  {
    name: 'ocr',
    run: async () => {
      const m = (await import('./ocr.bench.js')) as { benchOcr: () => Promise<Record<string, unknown>> };
      return m.benchOcr();
    },
  },
  { name: 'upload', run: async () => (await import('./upload.bench.js')).benchUpload() },
  { name: 'ingest', run: async () => (await import('./ingest.bench.js')).benchIngest() },
  { name: 'dossier', run: async () => (await import('./dossier.bench.js')).benchDossier() },
  { name: 'migrate', run: async () => (await import('./migrate.bench.js')).benchMigrate() },
  { name: 'scale', run: async () => (await import('./scale.bench.js')).benchScale() },
  { name: 'concurrency', run: async () => (await import('./concurrency.bench.js')).benchConcurrency() },
];

const only = process.env.BENCH_ONLY?.split(',');
const results: Record<string, unknown> = {};
for (const s of sections) {
  if (only && !only.includes(s.name)) continue;
  process.stdout.write(`\n== ${s.name}\n`);
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  const r = await s.run();
  r.seconds = Math.round((performance.now() - started) / 100) / 10;
  r.rssGrowthMiB = Math.round((process.memoryUsage().rss - rssBefore) / 1024 / 1024);
  results[s.name] = r;
  for (const [k, v] of Object.entries(r)) process.stdout.write(`  ${k.padEnd(28)} ${typeof v === 'object' ? JSON.stringify(v) : v}\n`);
}
process.stdout.write(`\n${JSON.stringify(results)}\n`);

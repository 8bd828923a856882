/**
 * Memory of the server for one large upload (issue 14): a 200 MB scan-like PDF (pages of raw
 * grey images, no compression) is posted with curl, a separate process, to an instance running
 * in this process without job workers, so what is measured is the request itself: multipart
 * parsing to a temp file, the preflight (type and page count), storing by content hash and the
 * document row. RSS is sampled every 10 ms from before the request until its answer.
 * Reference in the same run: the preflight as it was (the whole file read into memory, plus the
 * private copy pdfjs is given) on the same file. Options: BENCH_UPLOAD_MB (default 200).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { countPdfPages } from '../src/adapters/pdf/pdf-render.js';
import { loadConfig } from '../src/config.js';
import { openDossierlink } from '../src/dossierlink.js';

const MiB = 1024 * 1024;
const TOKEN = 'bench-admin-token-0123456789';

/** Writes a valid PDF of `pages` pages, each one uncompressed 1024x1024 grey image, streamed to disk. */
async function writeScanPdf(file: string, pages: number): Promise<number> {
  const out = createWriteStream(file);
  let offset = 0;
  const offsets: number[] = [];
  const write = (chunk: string | Buffer) =>
    new Promise<void>((resolve, reject) => {
      offset += typeof chunk === 'string' ? Buffer.byteLength(chunk, 'latin1') : chunk.length;
      out.write(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk, (e) => (e ? reject(e) : resolve()));
    });
  const obj = async (n: number, body: string | Buffer[], dict?: string) => {
    offsets[n] = offset;
    if (typeof body === 'string') return write(`${n} 0 obj\n${body}\nendobj\n`);
    await write(`${n} 0 obj\n${dict}\nstream\n`);
    for (const b of body) await write(b);
    await write('\nendstream\nendobj\n');
  };
  await write('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n');
  const side = 1024;
  // Objects: 1 catalog, 2 page tree, then per page: page, content, image.
  const kids = Array.from({ length: pages }, (_, i) => `${3 + i * 3} 0 R`).join(' ');
  await obj(1, '<< /Type /Catalog /Pages 2 0 R >>');
  await obj(2, `<< /Type /Pages /Count ${pages} /Kids [ ${kids} ] >>`);
  for (let i = 0; i < pages; i++) {
    const page = 3 + i * 3;
    const draw = `q 595 0 0 842 0 0 cm /Im0 Do Q`;
    await obj(page, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 ${page + 2} 0 R >> >> /Contents ${page + 1} 0 R >>`);
    await obj(page + 1, [Buffer.from(draw)], `<< /Length ${draw.length} >>`);
    // Random bytes: incompressible, like a real scan, and different per page.
    await obj(page + 2, [randomBytes(side * side)], `<< /Type /XObject /Subtype /Image /Width ${side} /Height ${side} /ColorSpace /DeviceGray /BitsPerComponent 8 /Length ${side * side} >>`);
  }
  const xref = offset;
  const count = 3 + pages * 3;
  let table = `xref\n0 ${count}\n0000000000 65535 f \n`;
  for (let n = 1; n < count; n++) table += `${String(offsets[n]).padStart(10, '0')} 00000 n \n`;
  await write(`${table}trailer\n<< /Size ${count} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return (await stat(file)).size;
}

/** Peak RSS growth over the baseline while `work` runs, sampled every 10 ms. */
async function peakGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, growth: peak - base };
  } finally {
    clearInterval(timer);
  }
}

function curlUpload(url: string, file: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-s', '-o', '-', '-w', '\n%{http_code}', '-H', `Authorization: Bearer ${TOKEN}`, '-F', `file=@${file};type=application/pdf`, url]);
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const i = out.lastIndexOf('\n');
      resolve({ status: Number(out.slice(i + 1)), body: out.slice(0, i) });
    });
  });
}

export async function benchUpload(): Promise<Record<string, unknown>> {
  const targetMiB = Number(process.env.BENCH_UPLOAD_MB ?? 200);
  const dir = await mkdtemp(path.join(tmpdir(), 'dossierlink-bench-upload-'));
  try {
    const file = path.join(dir, 'big-scan.pdf');
    const bytes = await writeScanPdf(file, Math.ceil((targetMiB * MiB) / (1024 * 1024 + 600)));
    const config = loadConfig({
      DOSSIER_DATA_DIR: path.join(dir, 'data'),
      DOSSIER_LOG_LEVEL: 'silent',
      DOSSIER_ADMIN_TOKEN: TOKEN,
      DOSSIER_INBOX: 'off',
      DOSSIER_MAX_UPLOAD_MB: String(targetMiB + 50),
    });
    const dl = await openDossierlink(config, { logger: pino({ level: 'silent' }) });
    const server: Server = dl.app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      // One small upload first, so lazy module loading and first-use caches are not counted.
      const warm = path.join(dir, 'warm.pdf');
      await writeScanPdf(warm, 1);
      await curlUpload(`http://127.0.0.1:${port}/api/documents`, warm);
      global.gc?.();
      const started = performance.now();
      const { result, growth } = await peakGrowth(() => curlUpload(`http://127.0.0.1:${port}/api/documents`, file));
      const ms = performance.now() - started;
      if (result.status !== 202) throw new Error(`upload answered ${result.status}: ${result.body.slice(0, 300)}`);
      const pages = (JSON.parse(result.body) as { pageCount?: number }).pageCount;
      // Reference: the old preflight, whole file in memory plus pdfjs's copy.
      const old = await peakGrowth(async () => countPdfPages(new Uint8Array(await readFile(file))));
      return {
        uploadMiB: Math.round(bytes / MiB),
        pages,
        uploadSeconds: Math.round(ms / 100) / 10,
        serverRssGrowthMiB: Math.round(growth / MiB),
        growthPerUploadedByte: Math.round((growth / bytes) * 100) / 100,
        targetMiB: 100,
        targetMet: growth < 100 * MiB,
        referenceWholeFilePreflightMiB: Math.round(old.growth / MiB),
      };
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await dl.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

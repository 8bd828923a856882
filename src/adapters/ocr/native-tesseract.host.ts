/**
 * The native engine's OCR process (ocr-process.ts starts it): libtesseract loaded here, not in the
 * service, so a crash inside the library ends this process and the pages it was reading, never the
 * service. Its OCR threads (native-tesseract.worker.ts) keep one warm engine each, as they did
 * in-process. Argument: how many threads. Messages:
 * - in: `{ id, op: 'pass', args }` (where the page's pixels are and how to read them), `{ id, op: 'stop' }`
 * - out: `{ id, ok: true, value: AddonPass }` or `{ id, ok: false, error }`
 * It ends when the service does (its channel closes).
 */
import { setReadingNice } from '../background-priority.js';
import { ThreadPool } from '../thread-pool.js';
import type { Rotation } from './ocr-engine.js';
import { loadTesseractAddon, type AddonPass } from './tesseract-addon.js';

/** A page's 8-bit grey pixels, row by row, in a file the service wrote (ocr-process.ts) and removes. */
export type PixelFile = { width: number; height: number; file: string };
export type HostPassArgs = { image: PixelFile; rotation: Rotation; denoise: boolean; deadlineMs: number; tessdata: string; langs: string };
export type HostRequest = { id: number; op: 'pass'; args: HostPassArgs } | { id: number; op: 'stop' };
export type HostResponse = { id: number; ok: true; value: AddonPass } | { id: number; ok: false; error: string };

const send = (m: HostResponse) => process.send?.(m);

// The service's reading priority (DOSSIER_READING_NICE, inherited) for the OCR threads.
const nice = Number(process.env.DOSSIER_READING_NICE);
if (Number.isInteger(nice) && nice >= 0 && nice <= 19) setReadingNice(nice);

// Loaded on the main thread before any OCR thread (OMP_THREAD_LIMIT, see tesseract-addon.ts).
let loadError = '';
const addon = loadTesseractAddon((err) => (loadError = err.message));
const threads = new ThreadPool(new URL('./native-tesseract.worker.js', import.meta.url), { size: Math.max(1, Number(process.argv[2]) || 1), background: true });

/** The stop flag of each pass running, raised by a `stop` message; the library reads it after every word. */
const stops = new Map<number, Int32Array>();

async function pass(id: number, args: HostPassArgs): Promise<HostResponse> {
  if (!addon) return { id, ok: false, error: `native/build/dossier_tesseract.node did not load: ${loadError}` };
  const stop = new Int32Array(new SharedArrayBuffer(4));
  stops.set(id, stop);
  try {
    // The OCR thread reads the pixels from their file itself: nothing page-sized passes through here.
    const value = await threads.run<AddonPass>('pass', { ...args, stop });
    return { id, ok: true, value };
  } catch (err) {
    return { id, ok: false, error: (err as Error).message };
  } finally {
    stops.delete(id);
  }
}

process.on('message', (m: HostRequest) => {
  if (m.op === 'stop') {
    const flag = stops.get(m.id);
    if (flag) Atomics.store(flag, 0, 1);
    return;
  }
  void pass(m.id, m.args).then(send);
});
// The service ended or let go of it: nothing more to read.
process.on('disconnect', () => process.exit(0));

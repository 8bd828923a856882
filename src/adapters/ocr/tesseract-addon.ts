/**
 * native/dossier_tesseract.cc, built by scripts/build-native.mjs where libtesseract-dev is
 * installed: the native OCR engine in-process.
 */
import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { nativeBuildFile } from '../../native-build.js';

declare const handle: unique symbol;
/** One open libtesseract engine (its models loaded), usable only in the thread that opened it. */
export type TesseractHandle = { readonly [handle]: true };

/** One pass: tesseract's plain text and word TSV; `stopped` when its flag was raised, `timedOut` at its deadline. */
export type AddonPass = { text: string; tsv: string; ok: boolean; stopped: boolean; timedOut: boolean };

export type TesseractAddon = {
  version(): string;
  /** LSTM only, automatic page segmentation (`--oem 1 --psm 3`); throws when the language data does not load. */
  open(tessdataDir: string, langs: string): TesseractHandle;
  /** Reads 8-bit grey pixels; `heavyNoise` is `textord_heavy_nr`; stops when `stop[0]` turns non-zero or after `deadlineMs` (0: none). */
  recognize(engine: TesseractHandle, pixels: Uint8Array, width: number, height: number, heavyNoise: boolean, stop: Int32Array, deadlineMs: number): AddonPass;
  close(engine: TesseractHandle): void;
};

/**
 * Where the built module is, or null when it was not built.
 * @example if (tesseractAddonPath()) ...
 */
export function tesseractAddonPath(): string | null {
  return nativeBuildFile('dossier_tesseract.node');
}

/**
 * The module, or undefined when it was not built or does not load here (libtesseract removed
 * since, another Node ABI); `onError` hears why it did not load. Load it on the main thread
 * before any OCR thread does: see OMP_THREAD_LIMIT below.
 * @example const addon = loadTesseractAddon(); if (addon) addon.version();
 */
export function loadTesseractAddon(onError?: (err: Error) => void): TesseractAddon | undefined {
  const file = tesseractAddonPath();
  if (!file) return undefined;
  // Debian's libtesseract uses OpenMP, which reads its thread limit once, when it loads: without
  // one, every pass spread over all cores and a page took 10x the CPU (measured: 0.2 s became 2 s).
  // One thread a pass, as the CLI is run (OMP_THREAD_LIMIT=1); a worker thread's process.env is
  // its own copy, so only the main thread can set it for the library.
  if (isMainThread) process.env.OMP_THREAD_LIMIT = '1';
  try {
    return createRequire(import.meta.url)(file) as TesseractAddon;
  } catch (err) {
    onError?.(err as Error);
    return undefined;
  }
}

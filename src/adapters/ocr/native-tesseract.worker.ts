/**
 * An OCR thread of the native engine in-process (native-tesseract.engine.ts): one libtesseract
 * engine (native/dossier_tesseract.cc), opened on the thread's first page and kept warm, reading
 * one pass at a time. The page is turned and despeckled here with the same functions the CLI's
 * PGM is made with (page-pixels.worker.ts), so both read the same pixels.
 */
import { readFileSync } from 'node:fs';
import { despeckle, rotateGrey } from '../image/image-pages.js';
import type { GreyImage } from '../pdf/pdf-render.js';
import { serveThread } from '../thread-pool.js';
import type { PixelFile } from './native-tesseract.host.js';
import type { Rotation } from './ocr-engine.js';
import { loadTesseractAddon, type TesseractAddon, type TesseractHandle } from './tesseract-addon.js';

let addon: TesseractAddon | undefined;
let open: { key: string; engine: TesseractHandle } | undefined;

/** The pixels as given (this process's threads) or in a file (the OCR process, native-tesseract.host.ts). */
type PassArgs = { image: GreyImage | PixelFile; rotation: Rotation; denoise: boolean; stop: Int32Array; deadlineMs: number; tessdata: string; langs: string };

serveThread({
  pass({ image, rotation, denoise, stop, deadlineMs, tessdata, langs }: PassArgs) {
    addon ??= loadTesseractAddon();
    if (!addon) throw new Error('native/build/dossier_tesseract.node did not load');
    const key = `${tessdata}\n${langs}`;
    if (open?.key !== key) {
      if (open) addon.close(open.engine);
      open = { key, engine: addon.open(tessdata, langs) };
    }
    const pixels: GreyImage = 'file' in image ? { width: image.width, height: image.height, data: readFileSync(image.file) } : image;
    let page = rotateGrey(pixels, rotation);
    if (denoise) page = despeckle(page);
    const r = addon.recognize(open.engine, page.data, page.width, page.height, denoise, stop, deadlineMs);
    return { value: r };
  },
});

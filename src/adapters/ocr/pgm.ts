import type { GreyImage } from '../pdf/pdf-render.js';

/**
 * Binary PGM: Leptonica reads it as is, so handing over grey pixels costs one copy, where PNG
 * encoding a noisy 300 dpi scan takes ~0.4 s and BMP goes through a slow JS re-encode.
 *
 * `shared`: written into shared memory, for a PGM made in a thread and read in another. A page
 * moved between threads as an ordinary buffer counts against the receiving thread's heap: on the
 * service's main thread each one brought a full garbage collection closer (~1 per page, 30-60 ms
 * of marking a heap of 35-95 MB), where shared memory does not (issue 15).
 */
export function toPgm(img: GreyImage, opts: { shared?: boolean } = {}): Buffer {
  const header = Buffer.from(`P5\n${img.width} ${img.height}\n255\n`, 'latin1');
  const size = header.length + img.data.length;
  const out = opts.shared ? Buffer.from(new SharedArrayBuffer(size)) : Buffer.allocUnsafe(size);
  header.copy(out, 0);
  out.set(img.data, header.length);
  // tesseract.js sniffs an EXIF orientation with a regex over the first 500 bytes; pixel values
  // that happen to match it would rotate the page. Nudge such bytes (invisible in a scan).
  for (let guard = 0; guard < 50; guard++) {
    const sniff = out.subarray(0, 500).join(' ');
    const hit = /1 18 0 3 0 0 0 1 0 \d/.exec(sniff);
    if (!hit) break;
    out[sniff.slice(0, hit.index).split(' ').length] = 17; // the "18"
  }
  return out;
}

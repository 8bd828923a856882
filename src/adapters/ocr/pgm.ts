import type { GreyImage } from '../pdf/pdf-render.js';

/**
 * Binary PGM: Leptonica reads it as is, so handing over grey pixels costs one copy, where PNG
 * encoding a noisy 300 dpi scan takes ~0.4 s and BMP goes through a slow JS re-encode.
 */
export function toPgm(img: GreyImage): Buffer {
  const header = Buffer.from(`P5\n${img.width} ${img.height}\n255\n`, 'latin1');
  const out = Buffer.concat([header, img.data]);
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

/**
 * Otsu's threshold of a grey image: the grey level that best separates ink from paper (scans are
 * usually bimodal, so one global cut is enough). `step` samples every step-th pixel; a prime
 * such as 7 lines up with no column pattern of a page and gives the same cut at a fraction of
 * the cost.
 *
 *     const t = otsuThreshold(img.data); // pixels <= t are ink
 */
export function otsuThreshold(data: Uint8Array, step = 1): number {
  const hist = new Float64Array(256);
  let n = 0;
  for (let i = 0; i < data.length; i += step, n++) hist[data[i]!]!++;
  let sumAll = 0;
  for (let i = 0; i < 256; i++) sumAll += i * hist[i]!;
  let wB = 0;
  let sumB = 0;
  let best = -1;
  let threshold = 128;
  for (let t = 0; t < 256; t++) {
    wB += hist[t]!;
    if (wB === 0 || wB === n) continue;
    sumB += t * hist[t]!;
    const between = wB * (n - wB) * (sumB / wB - (sumAll - sumB) / (n - wB)) ** 2;
    if (between > best) {
      best = between;
      threshold = t;
    }
  }
  return threshold;
}

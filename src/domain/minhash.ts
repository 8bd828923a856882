import { createHash } from 'node:crypto';
import { fold } from './detection.js';

const K = 64;
const MAX32 = 0xffffffff;

// Fixed seeds: signatures must stay comparable across restarts and machines.
const SEEDS = Array.from({ length: K }, (_, i) => {
  const h = createHash('sha256').update(`dossierlink-minhash-${i}`).digest();
  return [h.readUInt32LE(0) | 1, h.readUInt32LE(4)] as const;
});

function words(text: string): Set<string> {
  return new Set(fold(text).split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 1));
}

/**
 * MinHash signature of a text's set of words (64 minima as 512 hex chars), so the Jaccard
 * similarity of two texts can be estimated without their texts. Two scans of one letter share
 * almost all their words whatever OCR slips on a few; unrelated letters share few. Null for
 * texts too short to judge.
 *
 *     similarity(minhash(a)!, minhash(b)!) >= NEAR_DUPLICATE_SIMILARITY
 */
export function minhash(text: string): string | null {
  const set = words(text);
  if (set.size < 8) return null;
  const mins = new Array<number>(K).fill(MAX32);
  for (const w of set) {
    const base = createHash('md5').update(w).digest().readUInt32LE(0);
    for (let i = 0; i < K; i++) {
      const [a, b] = SEEDS[i];
      const v = (Math.imul(base, a) + b) >>> 0;
      if (v < mins[i]) mins[i] = v;
    }
  }
  return mins.map((m) => m.toString(16).padStart(8, '0')).join('');
}

/** Estimated Jaccard similarity (0..1) of the word sets behind two signatures. */
export function similarity(a: string, b: string): number {
  let same = 0;
  for (let i = 0; i < K; i++) if (a.slice(i * 8, i * 8 + 8) === b.slice(i * 8, i * 8 + 8)) same++;
  return same / K;
}

/** At or above this estimated word overlap two documents are flagged for a person to compare. */
export const NEAR_DUPLICATE_SIMILARITY = 0.7;

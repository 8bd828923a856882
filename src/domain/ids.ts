import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/**
 * A sortable id: 10 chars of milliseconds + 12 random chars, with a short prefix naming the thing.
 *
 *     newId('doc') // 'doc_01jd3k…'
 */
export function newId(prefix: string, now = Date.now()): string {
  let t = '';
  let ms = now;
  for (let i = 0; i < 10; i++) {
    t = ALPHABET[ms % 32] + t;
    ms = Math.floor(ms / 32);
  }
  const rnd = randomBytes(12);
  let r = '';
  for (const b of rnd) r += ALPHABET[b % 32];
  return `${prefix}_${t}${r}`;
}

/** Ids travel in URLs; anything outside this set (slashes, dots, NULs) is refused before it reaches a query. */
export const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * File names as uploaded are the client's text: they may carry control characters (a CR/LF
 * that splits a log line or a header), bidirectional overrides that make `factuur‮fdp.exe`
 * read as `factuurexe.pdf`, a path, or an extension that lies about the bytes. What we keep
 * is for people to recognise a file by, never for storage (objects are keyed by content hash).
 */

/** Most bytes of a kept file name, in UTF-8 (what common file systems allow per name). */
export const MAX_FILE_NAME_BYTES = 255;

/** The extension a detected type is saved under; the uploader's own extension is not trusted. */
const EXTENSION: Record<string, string> = {
  'application/pdf': 'pdf',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/tiff': 'tif',
  'application/xml': 'xml',
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
};

// C0 and C1 controls, DEL; bidi embeddings/overrides U+202A–U+202E and isolates U+2066–U+2069,
// plus the invisible direction marks (LRM, RLM, ALM) that serve the same trick.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/**
 * A file name safe to store and show: no path, no control or bidi-override characters, the
 * extension of the detected type (when given) instead of the uploader's, at most 255 UTF-8
 * bytes (cut between characters, extension kept). null when nothing printable is left.
 *
 *     safeFileName('scan\u202Efdp.exe', 'application/pdf') // 'scanfdp.pdf'
 *     safeFileName('../../etc/passwd')                      // 'passwd'
 */
export function safeFileName(name: string | null | undefined, mime?: string | null): string | null {
  if (!name) return null;
  let base = name.normalize('NFC').replace(UNSAFE, '').split(/[\\/]/).pop()!.replace(/\s+/g, ' ').trim();
  const ext = mime ? EXTENSION[mime] : undefined;
  if (ext) base = base.replace(/\.[\p{L}\p{N}]{1,10}$/u, '').replace(/[ .]+$/, '');
  // Names of only dots would be "this folder" or "the one above" to many tools.
  if (/^\.*$/.test(base)) base = '';
  const suffix = ext ? `.${ext}` : '';
  if (!base) return ext ? `document${suffix}` : null;
  const budget = MAX_FILE_NAME_BYTES - Buffer.byteLength(suffix);
  if (Buffer.byteLength(base) > budget) {
    let kept = '';
    let bytes = 0;
    for (const ch of base) {
      const n = Buffer.byteLength(ch);
      if (bytes + n > budget) break;
      kept += ch;
      bytes += n;
    }
    base = kept.trimEnd();
  }
  return base + suffix;
}

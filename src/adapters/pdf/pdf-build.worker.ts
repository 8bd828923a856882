/**
 * A thread of archive-pdf.ts: builds archive copies with pdf-lib off the service's event loop.
 */
import { serveThread } from '../thread-pool.js';
import { buildArchivePdfHere, type ArchiveInput } from './archive-pdf.js';

serveThread({
  /** The original and the pages' JPEGs arrive moved; the built PDF is moved back. */
  async archive(input: ArchiveInput) {
    const pdf = await buildArchivePdfHere(input);
    if (!pdf) return { value: null };
    const whole = pdf.byteOffset === 0 && pdf.byteLength === pdf.buffer.byteLength ? pdf : new Uint8Array(pdf);
    return { value: whole, transfer: [whole.buffer as ArrayBuffer] };
  },
});

/**
 * The notes jobs record with their progress, each a code the interface says in the user's
 * language (`jobs.note.<code>` in src/web/public/js) and the English text the API's `note`
 * has always carried. One place, so a new note cannot go out without its code.
 */
import type { ProgressNote } from './job-queue.port.js';

export const progressNotes = {
  /** A PDF's text layer was read; its scanned pages (if any) go to OCR next. */
  textLayerRead: (): ProgressNote => ({ code: 'text_layer_read', text: 'text layer read' }),
  ocrStarted: (): ProgressNote => ({ code: 'ocr_started', text: 'OCR started' }),
  pageRead: (page: number, confidence: number): ProgressNote => ({ code: 'page_read', params: { page, confidence }, text: `page ${page} OCR'd (${confidence}%)` }),
  /** An intake page's codes, as what the page is: `plain`, `sheet`, `coupon` or `paper`. */
  pageCodes: (page: number, kind: string): ProgressNote => ({ code: 'page_codes', params: { page, kind }, text: `page ${page}: ${kind}` }),
  /** A reply-coupon batch page: what was read on it (`letter`, `separator`, `none`, …) and its code. */
  couponPage: (page: number, kind: string, code: string | null): ProgressNote => ({
    code: 'coupon_page',
    params: { page, kind, code: code ?? '' },
    text: `page ${page}: ${kind}${code ? ` ${code}` : ''}`,
  }),
  batchRead: (): ProgressNote => ({ code: 'batch_read', text: 'done' }),
  splitInto: (parts: number): ProgressNote => ({ code: 'split_into', params: { n: parts }, text: `split into ${parts} part(s)` }),
};

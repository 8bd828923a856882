/**
 * Barcodes in a general intake stack (upload, batch, scanner inbox, e-mail attachment): which
 * pages form which document, and what each part is. Pure rules; the codes on each page are read
 * and resolved (is this D code registered paper? this M code a mailing letter?) before.
 */

/** The text a cover sheet's code carries: customer and type, either may be empty. */
const COVER_PREFIX = 'DLCOVER';

/**
 * The code printed on a cover sheet. Self-describing, so printing one writes nothing.
 *
 *     coverCode({ customerId: 'KL-000123', type: 'invoice' }) // 'DLCOVER|KL-000123|invoice'
 */
export function coverCode(a: { customerId?: string | null; type?: string | null }): string {
  return `${COVER_PREFIX}|${a.customerId ?? ''}|${a.type ?? ''}`;
}

/** The customer and type a cover code names, or null for any other text. */
export function parseCoverCode(text: string): { customerId: string | null; type: string | null } | null {
  const m = /^DLCOVER\|([A-Za-z0-9_-]{0,64})\|([a-z0-9-]{0,40})$/.exec(text.trim());
  if (!m) return null;
  return { customerId: m[1] || null, type: m[2] || null };
}

/** What a page is, once its codes are resolved. */
export type IntakePage =
  | { pageNo: number; kind: 'sheet'; code: string; customerId: string | null; type: string | null }
  | { pageNo: number; kind: 'paper'; code: string; documentId: string }
  | { pageNo: number; kind: 'coupon'; code: string }
  | { pageNo: number; kind: 'plain' };

/** One part of the stack: a new document, the scan of registered paper, or a reply coupon. */
export type IntakePart =
  | { kind: 'document'; pages: number[]; customerId: string | null; type: string | null; sheet: string | null }
  | { kind: 'paper'; pages: number[]; documentId: string; code: string; sheet: string | null }
  | { kind: 'coupon'; pages: number[]; code: string };

/** True when the stack carries anything that splits or routes it; otherwise it is one plain document. */
export function needsSplit(pages: IntakePage[]): boolean {
  return pages.some((p) => p.kind !== 'plain');
}

/**
 * Splits a stack into parts:
 * - a separator or cover sheet ends the part before it and is itself dropped; a cover sheet's
 *   customer and type go to the pages that follow, up to the next sheet;
 * - a reply coupon (a mailing letter's code) is a part of its own, as each page is in a coupon
 *   batch; the pages after it start a new part;
 * - the label of registered paper links its part to that paper record. Where sheets mark the
 *   documents, a label anywhere in a part links it; without sheets a labelled page starts a new
 *   part (the label goes on the first page), and pages with the same label stay together.
 *
 *     splitStack([{ pageNo: 1, kind: 'sheet', code: 'S…', customerId: 'KL-000123', type: 'invoice' }, { pageNo: 2, kind: 'plain' }])
 *     // [{ kind: 'document', pages: [2], customerId: 'KL-000123', type: 'invoice', sheet: 'S…' }]
 */
export function splitStack(pages: IntakePage[]): IntakePart[] {
  const parts: IntakePart[] = [];
  let assign: { customerId: string | null; type: string | null; sheet: string | null } = { customerId: null, type: null, sheet: null };
  let cur: IntakePart | null = null;
  const close = () => {
    if (cur && cur.pages.length) parts.push(cur);
    cur = null;
  };
  const open = (): IntakePart => ({ kind: 'document', pages: [], customerId: assign.customerId, type: assign.type, sheet: assign.sheet });
  for (const p of pages) {
    if (p.kind === 'sheet') {
      close();
      assign = { customerId: p.customerId, type: p.type, sheet: p.code };
      continue;
    }
    if (p.kind === 'coupon') {
      close();
      parts.push({ kind: 'coupon', pages: [p.pageNo], code: p.code });
      continue;
    }
    if (p.kind === 'paper') {
      const c = cur as IntakePart | null;
      if (c?.kind === 'paper' && c.documentId === p.documentId) c.pages.push(p.pageNo);
      else if (c?.kind === 'document' && c.sheet !== null) {
        // The part was opened by a sheet: the sheet marks the document, the label only says which paper it is.
        cur = { kind: 'paper', pages: [...c.pages, p.pageNo], documentId: p.documentId, code: p.code, sheet: c.sheet };
      } else {
        close();
        cur = { kind: 'paper', pages: [p.pageNo], documentId: p.documentId, code: p.code, sheet: assign.sheet };
      }
      continue;
    }
    cur ??= open();
    cur.pages.push(p.pageNo);
  }
  close();
  return parts;
}

/**
 * Mailings and reply coupons, the pure part: where things sit on a letter, how a template is
 * filled, how a scanned batch splits into coupons, where the tick boxes are relative to a decoded
 * barcode and whether they are ticked, and CSV. No I/O here.
 */

/** Status variables a mailing sets on a customer. */
export const STATUS_LETTER_SENT = 'letter-sent';
export const STATUS_REPLY_RECEIVED = 'reply-received';

/** The barcode on the coupon is drawn with this module (5 dots at 300 dpi = 0.423 mm): 2.5 px even at 150 dpi. */
export const COUPON_MODULE_DOTS = 5;
export const COUPON_MODULE_MM = (COUPON_MODULE_DOTS / 300) * 25.4;

/**
 * The letter on A4, in mm from the page's top-left corner. The address sits in the window of a
 * Dutch window envelope (window on the left, 20 mm from the left edge, from 50 mm down); the
 * coupon is the part under the dashed line. Tick boxes are found on a scan relative to the
 * coupon's bars, so this is also what the reader uses.
 */
export const LETTER_LAYOUT = {
  page: { width: 210, height: 297 },
  left: 20,
  right: 190,
  sender: { x: 120, y: 18 },
  window: { x: 20, y: 50, width: 85, height: 40 },
  reference: { x: 120, y: 56 },
  body: { top: 100, bottom: 190, fontSize: 10, lineHeight: 4.8 },
  cutLine: 197,
  coupon: {
    title: { x: 20, y: 207 },
    /** Top-left corner of the bars (quiet zones are outside this point). */
    barcode: { x: 118, y: 236, height: 15 },
    /** First tick box (top-left corner and side), then the next ones `pitch` mm further down. */
    boxes: { x: 20, y: 240, size: 6, pitch: 10 },
  },
} as const;

export const MAX_ANSWERS = 3;

/** Where tick box `i` is, in mm from the page's top-left corner. */
export function tickBoxMm(i: number): { x: number; y: number; size: number } {
  const b = LETTER_LAYOUT.coupon.boxes;
  return { x: b.x, y: b.y + i * b.pitch, size: b.size };
}

// ---------------------------------------------------------------- templates

export type LetterAnswer = { id: string; label: string };
export type LetterTemplate = {
  id: string;
  description: string;
  sender: { name: string; lines: string[]; returnAddress: string };
  subject: string;
  salutation: string;
  paragraphs: string[];
  closing: string;
  signature: string[];
  coupon: { title: string; question: string; answers: LetterAnswer[]; returnTo: string[] };
};

/** What `{{…}}` may name in a template; anything else is a mistake in the template file. */
export const PLACEHOLDERS = ['name', 'customerId', 'address', 'postcode', 'city', 'mailing', 'date', 'barcode', 'seq', 'total'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type LetterVars = Record<Placeholder, string>;

const PLACEHOLDER_RE = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/** Placeholders used in a text that are not known (empty when the text is fine). */
export function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER_RE)].map((m) => m[1]!).filter((n) => !(PLACEHOLDERS as readonly string[]).includes(n));
}

/**
 * Fills `{{name}}`-style placeholders.
 *
 *     fill('Geachte {{name}},', { name: 'Bakkerij Jansen', ... }) // 'Geachte Bakkerij Jansen,'
 */
export function fill(text: string, vars: LetterVars): string {
  return text.replace(PLACEHOLDER_RE, (whole, name: string) => (name in vars ? vars[name as Placeholder] : whole));
}

/** Dutch long date, as letters print it: 14 maart 2026. */
export function dutchDate(iso: string): string {
  const months = ['januari', 'februari', 'maart', 'april', 'mei', 'juni', 'juli', 'augustus', 'september', 'oktober', 'november', 'december'];
  const [y, m, d] = iso.slice(0, 10).split('-').map(Number);
  return `${d} ${months[m! - 1]} ${y}`;
}

// ---------------------------------------------------------------- selection

export type MailableCustomer = { id: string; name: string; address: string | null; postcode: string | null; city: string | null; restricted: number; attributes: string };

/** Why a customer may not get a letter, or null. GDPR art. 18 restriction and withdrawn consent stop mailings. */
export function notMailable(c: MailableCustomer): 'restricted' | 'consent_withdrawn' | 'no_address' | null {
  if (c.restricted) return 'restricted';
  let attrs: Record<string, unknown> = {};
  try {
    attrs = JSON.parse(c.attributes) as Record<string, unknown>;
  } catch {
    // A broken attributes blob is the CRM's problem; it does not stop a letter.
  }
  if (attrs.consentWithdrawnOn) return 'consent_withdrawn';
  if (!c.address?.trim() || !c.postcode?.trim() || !c.city?.trim()) return 'no_address';
  return null;
}

// ---------------------------------------------------------------- batch pages → coupons

/** What the reader found on one scanned page. */
export type PageKind = 'letter' | 'separator' | 'other' | 'invalid' | 'multiple' | 'none';
export type PageRead = { pageNo: number; kind: PageKind; code: string | null };

/** Pages that form one returned item; `code` is the letter code that identifies it, if any. */
export type CouponUnit = {
  /** First page of the unit: the unit's key within its batch. */
  unit: number;
  pages: number[];
  /** The page that carries the code (or the first page). */
  keyPage: number;
  kind: PageKind;
  code: string | null;
  /** Separator sheet that opened the group, if the pages came after one. */
  separator: string | null;
};

/**
 * Splits a batch into units. Without separator sheets every page is its own unit. A separator
 * sheet opens a group that lasts until the next separator: the pages of a group belong together,
 * so pages without a code join the coupon before them in the group (or the first one after it,
 * when the group starts with them); a group with no letter code at all is one unit for review.
 * Separator pages themselves belong to no unit.
 *
 *     groupCouponPages([{ pageNo: 1, kind: 'letter', code: 'M…' }, { pageNo: 2, kind: 'none', code: null }])
 *     // two units; with a separator in front, one unit of pages 2-3
 */
export function groupCouponPages(pages: PageRead[]): CouponUnit[] {
  const units: CouponUnit[] = [];
  let group: PageRead[] | null = null;
  let separator: string | null = null;
  const single = (p: PageRead): CouponUnit => ({ unit: p.pageNo, pages: [p.pageNo], keyPage: p.pageNo, kind: p.kind, code: p.code, separator: null });
  const flush = () => {
    if (!group || group.length === 0) return;
    const coded = group.filter((p) => p.kind === 'letter');
    if (coded.length === 0) {
      // Nothing identifies the group: one unit, keyed by the page with the most telling read.
      const telling = group.find((p) => p.kind === 'multiple') ?? group.find((p) => p.kind === 'invalid' || p.kind === 'other') ?? group[0]!;
      units.push({ unit: group[0]!.pageNo, pages: group.map((p) => p.pageNo), keyPage: telling.pageNo, kind: telling.kind, code: telling.code, separator });
    } else {
      let current: CouponUnit | null = null;
      const leading: number[] = [];
      for (const p of group) {
        if (p.kind === 'letter') {
          current = { unit: 0, pages: [...leading.splice(0), p.pageNo], keyPage: p.pageNo, kind: 'letter', code: p.code, separator };
          current.unit = current.pages[0]!;
          units.push(current);
        } else if (current) current.pages.push(p.pageNo);
        else leading.push(p.pageNo);
      }
    }
    group = null;
  };
  for (const p of pages) {
    if (p.kind === 'separator') {
      flush();
      group = [];
      separator = p.code;
      continue;
    }
    if (group) group.push(p);
    else units.push(single(p));
  }
  flush();
  return units;
}

// ---------------------------------------------------------------- coupon geometry and tick boxes

export type Pt = { x: number; y: number };
export type Quad = { topLeft: Pt; topRight: Pt; bottomRight: Pt; bottomLeft: Pt };
export type Grey = { width: number; height: number; data: Uint8Array };

/**
 * A coordinate frame on the scan, in mm, anchored at the bars' top-left corner: x along the
 * bars, y down the bars. Made from the decoder's corners (which follow the symbol when the page
 * is turned or skewed) and the known printed width of the bars, so it carries scale and angle.
 */
export type CouponFrame = { origin: Pt; ux: Pt; uy: Pt; pxPerMm: number };

/** Darkness 0..1 at a sub-pixel point, bilinear; outside the image counts as white paper. */
function inkAt(img: Grey, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const { width: w, height: h, data } = img;
  if (x0 < 0 || y0 < 0 || x0 + 1 >= w || y0 + 1 >= h) return 0;
  const fx = x - x0;
  const fy = y - y0;
  const i = y0 * w + x0;
  const v = (data[i]! * (1 - fx) + data[i + 1]! * fx) * (1 - fy) + (data[i + w]! * (1 - fx) + data[i + w + 1]! * fx) * fy;
  return (255 - v) / 255;
}

const add = (a: Pt, b: Pt, k = 1): Pt => ({ x: a.x + b.x * k, y: a.y + b.y * k });
const dot = (a: Pt, b: Pt) => a.x * b.x + a.y * b.y;
const perp = (u: Pt): Pt => ({ x: -u.y, y: u.x });

/**
 * Where the ink of the bars stops above and below `centre`, in px along `uy`, measured on rows
 * parallel to `ux` spanning [from, to] px from `centre` (sub-pixel: half-level crossing).
 */
function bandEdges(img: Grey, centre: Pt, ux: Pt, from: number, to: number, maxPx: number): { top: number; bottom: number } | null {
  const uy = perp(ux);
  const n = Math.max(8, Math.round(to - from));
  const step = (to - from) / n;
  // Plain numbers in the loop: this runs ~100k times per coupon, and a point object per sample
  // made it a tenth of a second.
  const row = (t: number) => {
    let x = centre.x + ux.x * (from + step / 2) + uy.x * t;
    let y = centre.y + ux.y * (from + step / 2) + uy.y * t;
    let sum = 0;
    for (let i = 0; i < n; i++, x += ux.x * step, y += ux.y * step) sum += inkAt(img, x, y);
    return sum / n;
  };
  const level = (row(-1) + row(0) + row(1)) / 3;
  if (level < 0.1) return null;
  const half = level / 2;
  const walk = (dir: 1 | -1) => {
    let prev = level;
    for (let t = 0.5; t <= maxPx; t += 0.5) {
      const v = row(dir * t);
      if (v < half) return dir * (t - 0.5 + (prev - half) / Math.max(1e-6, prev - v) * 0.5);
      prev = v;
    }
    return null;
  };
  const top = walk(-1);
  const bottom = walk(1);
  return top === null || bottom === null ? null : { top, bottom };
}

/**
 * The frame of a decoded coupon code. A linear decoder reports the rows it read, which follow the
 * scanner's rows rather than the symbol and need not span the whole bar height; so the angle and
 * the top edge are measured: the bars' top and bottom edges are located on the left and the right
 * part of the symbol (their offset gives the skew), twice. Without a plausible measurement the
 * decoder's own line is used, with the top half a bar height above it.
 */
export function couponFrame(img: Grey, pos: Quad, barsWidthMm: number, barHeightMm: number): CouponFrame {
  const ml = { x: (pos.topLeft.x + pos.bottomLeft.x) / 2, y: (pos.topLeft.y + pos.bottomLeft.y) / 2 };
  const mr = { x: (pos.topRight.x + pos.bottomRight.x) / 2, y: (pos.topRight.y + pos.bottomRight.y) / 2 };
  const m = { x: (ml.x + mr.x) / 2, y: (ml.y + mr.y) / 2 };
  const len = Math.hypot(mr.x - ml.x, mr.y - ml.y) || 1;
  let ux = { x: (mr.x - ml.x) / len, y: (mr.y - ml.y) / len };
  let widthPx = len;
  const maxPx = (len / barsWidthMm) * barHeightMm * 1.3;
  let band: { top: number; bottom: number } | null = null;
  for (let iter = 0; iter < 3; iter++) {
    widthPx = dot({ x: mr.x - ml.x, y: mr.y - ml.y }, ux);
    const left = bandEdges(img, m, ux, -0.45 * widthPx, -0.15 * widthPx, maxPx);
    const right = bandEdges(img, m, ux, 0.15 * widthPx, 0.45 * widthPx, maxPx);
    if (!left || !right) break;
    const delta = Math.atan(((right.top - left.top) + (right.bottom - left.bottom)) / 2 / (0.6 * widthPx));
    if (Math.abs(delta) > 0.2) break;
    ux = { x: Math.cos(delta) * ux.x - Math.sin(delta) * ux.y, y: Math.sin(delta) * ux.x + Math.cos(delta) * ux.y };
    band = null;
    if (Math.abs(delta) < 0.0005) break;
  }
  widthPx = dot({ x: mr.x - ml.x, y: mr.y - ml.y }, ux);
  const pxPerMm = widthPx / barsWidthMm;
  band = bandEdges(img, m, ux, -0.45 * widthPx, 0.45 * widthPx, maxPx);
  const heightMm = band ? (band.bottom - band.top) / pxPerMm : 0;
  const topPx = band && Math.abs(heightMm - barHeightMm) <= barHeightMm * 0.2 ? band.top : (-barHeightMm / 2) * pxPerMm;
  const uy = perp(ux);
  return { origin: add(add(m, ux, -widthPx / 2), uy, topPx), ux, uy, pxPerMm };
}

/** Ink in a tick box: `fill` inside the printed outline, and the mark found for the outline (quality). */
export type TickReading = { fill: number; outline: number };

/** A box counts as ticked above this fraction of dark pixels inside its outline; an X or ✓ gives 0.2-0.5. */
export const TICK_THRESHOLD = 0.08;

/**
 * Measures each tick box: locates its printed outline near where the layout says it is (a search
 * of ±1.5 mm absorbs scale and angle error over the distance from the bars), then counts dark
 * pixels inside it, keeping clear of the outline itself.
 */
export function readTickBoxes(img: Grey, frame: CouponFrame, boxes: { x: number; y: number; size: number }[]): TickReading[] {
  const { origin: o, ux, uy, pxPerMm: k } = frame;
  // Point in mm from the bars' corner → is that pixel ink? No objects: ~70k calls per coupon.
  const darkMm = (xMm: number, yMm: number) => {
    const x = Math.round(o.x + (ux.x * xMm + uy.x * yMm) * k);
    const y = Math.round(o.y + (ux.y * xMm + uy.y * yMm) * k);
    if (x < 0 || y < 0 || x >= img.width || y >= img.height) return false;
    return img.data[y * img.width + x]! < 128;
  };
  return boxes.map((b) => {
    let best = { dx: 0, dy: 0, score: -1 };
    for (let dx = -1.5; dx <= 1.5; dx += 0.25) {
      for (let dy = -1.5; dy <= 1.5; dy += 0.25) {
        let hits = 0;
        const n = 24;
        for (let i = 0; i < n; i++) {
          const t = ((i + 0.5) / n) * b.size;
          const bx = b.x + dx;
          const by = b.y + dy;
          if (darkMm(bx + t, by)) hits++;
          if (darkMm(bx + t, by + b.size)) hits++;
          if (darkMm(bx, by + t)) hits++;
          if (darkMm(bx + b.size, by + t)) hits++;
        }
        const score = hits / (4 * n);
        if (score > best.score) best = { dx, dy, score };
      }
    }
    const inset = Math.max(0.9, b.size * 0.18);
    const inner = b.size - 2 * inset;
    const n = 16;
    let ink = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (darkMm(b.x + best.dx + inset + ((i + 0.5) / n) * inner, b.y + best.dy + inset + ((j + 0.5) / n) * inner)) ink++;
      }
    }
    return { fill: Math.round((ink / (n * n)) * 1000) / 1000, outline: Math.round(best.score * 1000) / 1000 };
  });
}

/**
 * The answer from tick readings: exactly one ticked box gives its answer; none or several give
 * null with a reason, and the coupon still counts as received.
 *
 *     decideAnswer([{ fill: 0.31, outline: 0.9 }, { fill: 0.01, outline: 0.9 }], ['yes', 'no']) // { answer: 'yes' }
 */
export function decideAnswer(readings: TickReading[], answers: string[]): { answer: string | null; note?: 'none_ticked' | 'several_ticked' | 'boxes_not_found' } {
  if (readings.length && readings.every((r) => r.outline < 0.3)) return { answer: null, note: 'boxes_not_found' };
  const ticked = readings.map((r, i) => (r.fill >= TICK_THRESHOLD ? i : -1)).filter((i) => i >= 0);
  if (ticked.length === 1) return { answer: answers[ticked[0]!] ?? null };
  return { answer: null, note: ticked.length === 0 ? 'none_ticked' : 'several_ticked' };
}

// ---------------------------------------------------------------- CSV

/**
 * One CSV field (RFC 4180): quoted when it holds a separator, quote or line break. Text that a
 * spreadsheet would run as a formula (= + - @ at the start) gets a leading apostrophe, since
 * fulfilment houses open these files in Excel.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",;\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: (string | number | null | undefined)[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

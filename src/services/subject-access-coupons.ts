import type { ZipFile } from 'yazl';
import type { ObjectStore } from '../adapters/object-store/object-store.js';
import { couponPageSubjectsRepository } from '../db/coupon-page-subjects.repository.js';
import { couponReviewSubjectsRepository } from '../db/coupon-review-subjects.repository.js';
import type { Queryable } from '../db/database.js';
import type { CouponPageRow, ReviewRow } from '../db/mailings.repository.js';
import type { OutputLang } from '../domain/output-language.js';

const EXT: Record<string, string> = { 'application/pdf': 'pdf', 'image/png': 'png', 'image/jpeg': 'jpg', 'image/tiff': 'tif' };

/** The words the export uses for coupon review items, in the export's language. */
export const COUPON_EXPORT_TEXTS = {
  nl: {
    files: [
      '  coupon-reviews.json    teruggestuurde antwoordcoupons die een medewerker moest bekijken (onleesbaar, onbekende code, verwerking beperkt)',
      '  coupon-reviews/NNN-<id>/ per coupon: metadata.json, image.png (de gescande pagina), original.* (de scan zoals bewaard)',
    ],
    count: (n: number) => `Antwoordcoupons ter beoordeling: ${n} (coupon-reviews.json).`,
    heading: 'Antwoordcoupons ter beoordeling',
    cols: ['Binnen', 'Reden', 'Status', 'Antwoord', 'Code', 'Bestanden'],
    links: ['gegevens', 'pagina', 'scan'],
    reasons: { unreadable: 'onleesbaar', unknown: 'onbekende code', duplicate: 'al ontvangen', invalid: 'ongeldige code', multiple: 'meerdere codes', restricted: 'verwerking beperkt' } as Record<string, string>,
    statuses: { open: 'open', resolved: 'verwerkt', discarded: 'terzijde gelegd' } as Record<string, string>,
  },
  en: {
    files: [
      '  coupon-reviews.json    returned reply coupons a person had to look at (unreadable, unknown code, processing restricted)',
      '  coupon-reviews/NNN-<id>/ per coupon: metadata.json, image.png (the scanned page), original.* (the scan as kept)',
    ],
    count: (n: number) => `Reply coupons reviewed: ${n} (coupon-reviews.json).`,
    heading: 'Reply coupons reviewed',
    cols: ['Received', 'Reason', 'Status', 'Answer', 'Code', 'Files'],
    links: ['metadata', 'page', 'scan'],
    reasons: {} as Record<string, string>,
    statuses: {} as Record<string, string>,
  },
};

/** A coupon review item as the export shows it (metadata.json and coupon-reviews.json). */
export type CouponReviewExport = {
  id: string;
  batchId: string | null;
  pages: number[];
  reason: ReviewRow['reason'];
  status: ReviewRow['status'];
  answer: string | null;
  code: string | null;
  resolution: Record<string, unknown> | null;
  createdAt: string;
  resolvedAt: string | null;
  folder: string;
  files: { image: string | null; original: string | null };
};

type Stored = { path: string; sha: string; present: boolean };

/**
 * The customer's coupon review items (open, resolved, discarded, and those of numbers merged into
 * it) with their folder and file names in the export, and which stored objects are present.
 */
export async function couponReviewsForExport(q: Queryable, store: ObjectStore, customerId: string): Promise<{ items: CouponReviewExport[]; stored: Stored[] }> {
  const items: CouponReviewExport[] = [];
  const stored: Stored[] = [];
  for (const r of await couponReviewSubjectsRepository.ofCustomer(q, customerId)) {
    const folder = `coupon-reviews/${String(items.length + 1).padStart(3, '0')}-${r.id}`;
    const file = async (sha: string | null, path: string) => {
      if (!sha) return null;
      stored.push({ path, sha, present: (await store.stat(sha)) !== null });
      return path;
    };
    items.push({
      id: r.id,
      batchId: r.batch_id,
      pages: JSON.parse(r.pages) as number[],
      reason: r.reason,
      status: r.status,
      answer: r.answer,
      code: r.code,
      resolution: r.resolution ? (JSON.parse(r.resolution) as Record<string, unknown>) : null,
      createdAt: r.created_at,
      resolvedAt: r.resolved_at,
      folder,
      files: {
        image: await file(r.image_sha256, `${folder}/image.png`),
        // A one-page image upload is kept as uploaded: its own page image may be the same bytes; both are listed.
        original: await file(r.original_sha256, `${folder}/original.${EXT[r.original_mime ?? ''] ?? 'bin'}`),
      },
    });
  }
  return { items, stored };
}

/**
 * Adds the review items to the zip: coupon-reviews.json, and per item its metadata.json and the
 * page image and scan, streamed from the store as the zip is read (a missing object is left out and
 * listed in the README by the caller).
 */
export function addCouponReviews(zip: ZipFile, store: ObjectStore, r: { items: CouponReviewExport[]; stored: Stored[] }, mtime: Date): void {
  const json = (v: unknown) => Buffer.from(JSON.stringify(v, null, 2) + '\n', 'utf8');
  zip.addBuffer(json(r.items), 'coupon-reviews.json', { mtime });
  for (const item of r.items) zip.addBuffer(json(item), `${item.folder}/metadata.json`, { mtime });
  for (const s of r.stored.filter((x) => x.present)) {
    zip.addReadStreamLazy(s.path, { mtime, compress: false }, (cb) => {
      store.getStream(s.sha).then((st) => cb(null, st), (err: unknown) => cb(err, undefined as never));
    });
  }
}

/** The README lines and index.html section of the review items. */
export function couponReviewsIndex(lang: OutputLang, items: CouponReviewExport[], stored: Stored[], esc: (s: unknown) => string) {
  const T = COUPON_EXPORT_TEXTS[lang];
  const word = (m: Record<string, string>, k: string) => m[k] ?? k;
  const readme = [T.count(items.length), ...items.map((i) => `  ${i.createdAt.slice(0, 10)}  ${word(T.reasons, i.reason).padEnd(18)} ${word(T.statuses, i.status).padEnd(16)} ${i.folder}/`)];
  const present = new Set(stored.filter((s) => s.present).map((s) => s.path));
  const link = (p: string | null, label: string) => (p && present.has(p) ? `<a href="${esc(p)}">${esc(label)}</a>` : '');
  const cells = (i: CouponReviewExport) =>
    [esc(i.createdAt), esc(word(T.reasons, i.reason)), esc(word(T.statuses, i.status)), esc(i.answer), esc(i.code), [`<a href="${esc(i.folder)}/metadata.json">${esc(T.links[0])}</a>`, link(i.files.image, T.links[1]!), link(i.files.original, T.links[2]!)].filter(Boolean).join(' · ')]
      .map((c) => `<td>${c}</td>`)
      .join('');
  const html = `<h2>${esc(T.heading)} (${items.length})</h2><table><tr>${T.cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${items.map((i) => `<tr>${cells(i)}</tr>`).join('')}</table>`;
  return { files: T.files, readme, html };
}

/** The words the export uses for coupon page readings, in the export's language. */
export const COUPON_PAGE_TEXTS = {
  nl: {
    files: ['  coupon-pages.json      per pagina van een teruggestuurde stapel antwoordcoupons: wat er gelezen is (code, antwoord, aangekruiste vakjes)'],
    count: (n: number) => `Gelezen couponpagina’s: ${n} (coupon-pages.json).`,
    heading: 'Gelezen couponpagina’s',
    cols: ['Stapel binnen', 'Stapel', 'Pagina', 'Soort', 'Code', 'Antwoord', 'Uitkomst'],
  },
  en: {
    files: ['  coupon-pages.json      per page of a returned stack of reply coupons: what was read (code, answer, tick boxes)'],
    count: (n: number) => `Coupon pages read: ${n} (coupon-pages.json).`,
    heading: 'Coupon pages read',
    cols: ['Stack received', 'Stack', 'Page', 'Kind', 'Code', 'Answer', 'Outcome'],
  },
};

/** One page of a returned coupon batch as the export shows it (coupon-pages.json). */
export type CouponPageExport = {
  batchId: string;
  batchReceivedAt: string;
  pageNo: number;
  fileNo: number;
  filePage: number;
  kind: CouponPageRow['kind'];
  code: string | null;
  answer: string | null;
  /** Ink density per tick box as read (and a note, if any), as the job stored it. */
  ticks: unknown;
  unit: number | null;
  outcome: CouponPageRow['outcome'];
  /** The review item the page is part of, if any (its scan is under coupon-reviews/). */
  reviewId: string | null;
};

/** The readings of the customer's coupon pages (and those of numbers merged into it), erased ones left out. */
export async function couponPagesForExport(q: Queryable, customerId: string): Promise<CouponPageExport[]> {
  return (await couponPageSubjectsRepository.ofCustomer(q, customerId)).map((p) => ({
    batchId: p.batch_id,
    batchReceivedAt: p.batch_created_at,
    pageNo: p.page_no,
    fileNo: p.file_no,
    filePage: p.file_page,
    kind: p.kind,
    code: p.code,
    answer: p.answer,
    ticks: p.ticks ? (JSON.parse(p.ticks) as unknown) : null,
    unit: p.unit,
    outcome: p.outcome,
    reviewId: p.review_id,
  }));
}

/** The README lines and index.html section of the coupon page readings. */
export function couponPagesIndex(lang: OutputLang, pages: CouponPageExport[], esc: (s: unknown) => string) {
  const T = COUPON_PAGE_TEXTS[lang];
  const readme = [T.count(pages.length)];
  const cells = (p: CouponPageExport) => [p.batchReceivedAt, p.batchId, p.pageNo, p.kind, p.code, p.answer, p.outcome].map((c) => `<td>${esc(c)}</td>`).join('');
  const html = `<h2>${esc(T.heading)} (${pages.length})</h2><table><tr>${T.cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${pages.map((p) => `<tr>${cells(p)}</tr>`).join('')}</table>`;
  return { files: T.files, readme, html };
}

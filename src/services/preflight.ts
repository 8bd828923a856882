import { stat } from 'node:fs/promises';
import { fileTypeFromFile } from 'file-type';
import { countImagePages } from '../adapters/image/image-pages.js';
import { countPdfPagesInFile } from '../adapters/pdf/pdf-render.js';
import { AppError, Invalid, ServiceUnavailable, UnsupportedMediaType } from '../errors.js';
import { preflightEInvoiceXml } from './e-invoice-intake.js';

/** What the pipeline accepts, decided from the bytes (magic numbers), never the name or the client's header. */
export const ACCEPTED_MIME = ['application/pdf', 'image/png', 'image/jpeg', 'image/tiff', 'application/xml'] as const;
export type AcceptedMime = (typeof ACCEPTED_MIME)[number];

export type PreflightLimits = {
  /** Most pages one file may have (DOSSIER_MAX_PAGES). */
  maxPages: number;
  /** Preflights running at once (DOSSIER_PREFLIGHT_CONCURRENCY); more wait in a short queue. */
  concurrency: number;
  /** Preflights allowed to wait; beyond this a request is refused with 503 and Retry-After. */
  maxWaiting?: number;
};

export const DEFAULT_PREFLIGHT_LIMITS: PreflightLimits = { maxPages: 500, concurrency: 2 };

/** A file over the page cap: refused before anything is stored. */
export class TooManyPages extends AppError {
  constructor(file: string | null, pages: number, maxPages: number) {
    super(413, 'too_many_pages', `${file ?? 'The file'} has ${pages} pages; at most ${maxPages} are accepted per file`, { file, pages, maxPages });
  }
}

/**
 * Checks an uploaded file on disk by its bytes: type by magic number (first few KB), pages by the
 * PDF's structure or the image headers (pdfjs range reads, sharp header reads), never by reading
 * the whole file into memory. At most `concurrency` run at once: a burst of large uploads queues
 * here instead of multiplying memory, and a burst beyond the queue gets a 503 to retry.
 *
 *     const preflight = new Preflight({ maxPages: 500, concurrency: 2 });
 *     const { mime, pageCount } = await preflight.check({ path, originalName: 'scan.pdf', size });
 */
export class Preflight {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly maxWaiting: number;

  constructor(private readonly limits: PreflightLimits = DEFAULT_PREFLIGHT_LIMITS) {
    this.maxWaiting = limits.maxWaiting ?? limits.concurrency * 4;
  }

  async check(file: { path: string; originalName: string | null; size: number }): Promise<{ mime: AcceptedMime; pageCount: number }> {
    if (file.size === 0) throw new Invalid('The file is empty', { file: file.originalName }, 'empty_file');
    await this.acquire();
    try {
      return await this.inspect(file);
    } finally {
      this.release();
    }
  }

  private async inspect(file: { path: string; originalName: string | null; size: number }): Promise<{ mime: AcceptedMime; pageCount: number }> {
    const sniffed = await fileTypeFromFile(file.path);
    // XML is accepted only as a UBL e-invoice, checked by its content (root element, well-formed, size).
    // Only a regular file is opened a second time (a pipe or device would block or yield other bytes).
    const xmlCandidate = sniffed ? sniffed.mime === 'application/xml' || sniffed.mime === 'text/xml' : (await stat(file.path)).isFile();
    if (xmlCandidate) {
      const xml = await preflightEInvoiceXml(file);
      if (xml) return { mime: xml, pageCount: 1 };
    }
    const mime = sniffed?.mime as AcceptedMime | undefined;
    if (!mime || !ACCEPTED_MIME.includes(mime) || mime === 'application/xml') {
      throw new UnsupportedMediaType(
        `${file.originalName ?? 'The file'} is ${sniffed ? sniffed.mime : 'not a recognised file type'}; send a PDF, PNG, JPEG, TIFF or a UBL e-invoice`,
        { file: file.originalName, detected: sniffed?.mime ?? null, accepted: ACCEPTED_MIME },
      );
    }
    const pageCount = mime === 'application/pdf' ? await countPdfPagesInFile(file.path) : await countImagePages(file.path);
    if (pageCount < 1) throw new Invalid('The file has no pages', { file: file.originalName }, mime === 'application/pdf' ? 'corrupt_pdf' : 'corrupt_image');
    if (pageCount > this.limits.maxPages) throw new TooManyPages(file.originalName, pageCount, this.limits.maxPages);
    return { mime, pageCount };
  }

  private acquire(): Promise<void> {
    if (this.active < this.limits.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(new ServiceUnavailable('Too many uploads are being checked right now; try again shortly', 5, 'busy'));
    }
    // The slot is handed over by release(), so `active` never dips below the real count.
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

/**
 * E-invoices in the pipeline: an uploaded XML is accepted only when it is a well-formed UBL
 * Invoice or CreditNote within the size cap; at ingest the structured invoice (the bare XML,
 * or the CII embedded in a Factur-X / ZUGFeRD PDF) gives the key points exactly, and a bare
 * XML gets a readable PDF that serves as its archive copy and preview.
 */
import { open, readFile } from 'node:fs/promises';
import { renderEInvoicePdf } from '../adapters/pdf/e-invoice.pdf.js';
import { pdfAttachments } from '../adapters/pdf/pdf-attachments.js';
import { EInvoiceError, MAX_E_INVOICE_XML_BYTES, eInvoiceFormat, parseEInvoice, type EInvoice } from '../domain/e-invoice.js';
import { Invalid, PayloadTooLarge, UnsupportedMediaType } from '../errors.js';

export const XML_MIME = 'application/xml';

/** True when the file starts like XML (after a byte-order mark and white space). */
async function looksLikeXml(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(256), 0, 256, 0);
    return /^(\uFEFF)?\s*<[?A-Za-z!]/.test(buffer.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await fh.close();
  }
}

/**
 * Preflight of an XML upload: null when the file is not XML at all (the caller refuses it as
 * before); an accepted UBL Invoice or CreditNote returns its MIME type; any other XML, an
 * oversized, malformed or DOCTYPE-carrying one is refused with a clear 4xx.
 */
export async function preflightEInvoiceXml(file: { path: string; originalName: string | null; size: number }): Promise<typeof XML_MIME | null> {
  if (!(await looksLikeXml(file.path))) return null;
  if (file.size > MAX_E_INVOICE_XML_BYTES) throw new PayloadTooLarge(`An XML upload may be at most ${MAX_E_INVOICE_XML_BYTES / 1024 / 1024} MiB`);
  const bytes = new Uint8Array(await readFile(file.path));
  // Only a UBL Invoice or CreditNote root is an e-invoice; any other XML (HTML, SVG, orders) is a type we do not take.
  if (eInvoiceFormat(new TextDecoder().decode(bytes.subarray(0, 64 * 1024))) === null) {
    throw new UnsupportedMediaType(`${file.originalName ?? 'The file'} is XML but not a UBL Invoice or CreditNote; send a PDF, PNG, JPEG, TIFF or a UBL e-invoice`, { file: file.originalName, reason: 'not_an_e_invoice' });
  }
  try {
    const inv = parseEInvoice(bytes);
    // Uploads are UBL (Peppol BIS 3, SI-UBL 2.0); CII arrives inside a Factur-X / ZUGFeRD PDF.
    if (inv.format === 'cii') throw new EInvoiceError('A bare Cross Industry Invoice is not accepted; upload the Factur-X / ZUGFeRD PDF that carries it', 'not_an_e_invoice');
    return XML_MIME;
  } catch (err) {
    if (!(err instanceof EInvoiceError)) throw err;
    const details = { file: file.originalName, reason: err.code };
    if (err.code === 'not_an_e_invoice') {
      throw new UnsupportedMediaType(`${file.originalName ?? 'The file'} is XML but not a UBL Invoice or CreditNote; send a PDF, PNG, JPEG, TIFF or a UBL e-invoice`, details);
    }
    throw new Invalid(err.message, details, err.code === 'e_invoice_incomplete' ? 'invalid_e_invoice' : 'invalid_xml');
  }
}

export type PreparedEInvoice = { invoice: EInvoice; xml: Uint8Array; name: string | null; rendered: Uint8Array | null };

/** Attachment names Factur-X, ZUGFeRD, XRechnung and Order-X use for their XML. */
const INVOICE_ATTACHMENT = /(^|[\\/])(factur-x|zugferd-invoice|xrechnung|order-x)\.xml$/i;

/**
 * The structured invoice of an original, if it has one: the XML itself, or the invoice XML
 * embedded in a PDF. A PDF whose embedded XML cannot be read goes on as an ordinary PDF.
 */
export async function readEInvoice(original: Uint8Array, mime: string): Promise<PreparedEInvoice | null> {
  if (mime === XML_MIME) {
    const invoice = parseEInvoice(original);
    return { invoice, xml: original, name: null, rendered: await renderEInvoicePdf(invoice) };
  }
  if (mime !== 'application/pdf') return null;
  // Embedded file streams carry /Type /EmbeddedFile in their (never compressed) dictionary: a
  // PDF without that marker is not loaded a second time, which matters for 500-page scans.
  if (Buffer.from(original.buffer, original.byteOffset, original.byteLength).indexOf('/EmbeddedFile') < 0) return null;
  const files = (await pdfAttachments(original, MAX_E_INVOICE_XML_BYTES)).filter((f) => /\.xml$/i.test(f.name) || f.name === '');
  files.sort((a, b) => Number(INVOICE_ATTACHMENT.test(b.name)) - Number(INVOICE_ATTACHMENT.test(a.name)));
  for (const f of files) {
    try {
      if (!eInvoiceFormat(new TextDecoder().decode(f.bytes.subarray(0, 4096)))) continue;
      return { invoice: parseEInvoice(f.bytes), xml: f.bytes, name: f.name || null, rendered: null };
    } catch {
      // Not a usable invoice XML: try the next attachment, else read the PDF as any other.
    }
  }
  return null;
}

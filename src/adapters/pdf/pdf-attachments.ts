/**
 * Files embedded in a PDF (the EmbeddedFiles name tree and the PDF/A-3 /AF array), read with
 * pdf-lib: how Factur-X and ZUGFeRD carry their CII XML inside a readable PDF. Loaded with
 * `ignoreEncryption` so an owner-password PDF still opens (its streams then stay unreadable and
 * simply yield no usable file).
 */
import { decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFRawStream, PDFString, type PDFObject } from 'pdf-lib';

export type PdfAttachment = { name: string; bytes: Uint8Array };

const MAX_ATTACHMENTS = 50;

function nameOf(spec: PDFDict): string {
  for (const key of ['UF', 'F']) {
    const v = spec.lookup(PDFName.of(key));
    if (v instanceof PDFString || v instanceof PDFHexString) return v.decodeText();
  }
  return '';
}

function contentOf(spec: PDFDict, maxBytes: number): Uint8Array | null {
  const ef = spec.lookupMaybe(PDFName.of('EF'), PDFDict);
  const stream = ef?.lookup(PDFName.of('F')) ?? ef?.lookup(PDFName.of('UF'));
  if (!(stream instanceof PDFRawStream)) return null;
  const declared = stream.dict.lookup(PDFName.of('Length'));
  if (declared && Number(declared.toString()) > maxBytes * 20) return null;
  const bytes = decodePDFRawStream(stream).decode();
  return bytes.byteLength <= maxBytes ? bytes : null;
}

/**
 * The embedded files of a PDF, each at most `maxBytes` once decoded (larger ones are skipped).
 * @example const xml = (await pdfAttachments(bytes)).find((a) => /factur-x\.xml$/i.test(a.name));
 */
export async function pdfAttachments(pdf: Uint8Array, maxBytes: number): Promise<PdfAttachment[]> {
  let doc: PDFDocument;
  try {
    doc = await PDFDocument.load(pdf, { ignoreEncryption: true, updateMetadata: false, throwOnInvalidObject: false });
  } catch {
    return [];
  }
  const specs: PDFDict[] = [];
  const seen = new Set<PDFObject>();
  const walk = (node: PDFDict | undefined, depth: number) => {
    if (!node || depth > 10 || specs.length >= MAX_ATTACHMENTS) return;
    const names = node.lookupMaybe(PDFName.of('Names'), PDFArray);
    for (let i = 1; names && i < names.size(); i += 2) {
      const spec = names.lookup(i);
      if (spec instanceof PDFDict && !seen.has(spec)) seen.add(spec), specs.push(spec);
    }
    const kids = node.lookupMaybe(PDFName.of('Kids'), PDFArray);
    for (let i = 0; kids && i < kids.size(); i++) {
      const kid = kids.lookup(i);
      if (kid instanceof PDFDict) walk(kid, depth + 1);
    }
  };
  try {
    walk(doc.catalog.lookupMaybe(PDFName.of('Names'), PDFDict)?.lookupMaybe(PDFName.of('EmbeddedFiles'), PDFDict), 0);
    const af = doc.catalog.lookupMaybe(PDFName.of('AF'), PDFArray);
    for (let i = 0; af && i < af.size(); i++) {
      const spec = af.lookup(i);
      if (spec instanceof PDFDict && !seen.has(spec)) seen.add(spec), specs.push(spec);
    }
    const out: PdfAttachment[] = [];
    for (const spec of specs.slice(0, MAX_ATTACHMENTS)) {
      try {
        const bytes = contentOf(spec, maxBytes);
        if (bytes) out.push({ name: nameOf(spec), bytes });
      } catch {
        // A damaged or still-encrypted stream: not an attachment we can use.
      }
    }
    return out;
  } catch {
    return [];
  }
}

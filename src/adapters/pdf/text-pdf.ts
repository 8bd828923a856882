import { PDFDocument, StandardFonts } from 'pdf-lib';

/** Characters Helvetica's WinAnsi encoding cannot draw are replaced rather than crashing pdf-lib. */
export function winAnsiSafe(s: string): string {
  return s.replace(/[^\x20-\x7e\u00a0-\u00ff€‘’“”–—•…]/g, '?');
}

/**
 * A born-digital A4 PDF with a real text layer, one page per entry of `pages` (lines of text).
 *
 *     const bytes = await makeTextPdf([['Offerte OF-1', 'Klantnummer: KL-000123']]);
 */
export async function makeTextPdf(pages: string[][], opts: { title?: string; fontSize?: number } = {}): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const size = opts.fontSize ?? 11;
  if (opts.title) doc.setTitle(winAnsiSafe(opts.title));
  doc.setProducer('Dossierlink');
  doc.setCreationDate(new Date(0));
  doc.setModificationDate(new Date(0));
  for (const lines of pages) {
    const page = doc.addPage([595.28, 841.89]);
    let y = 841.89 - 72;
    for (const line of lines) {
      if (line) page.drawText(winAnsiSafe(line), { x: 72, y, size, font });
      y -= size * 1.5;
      if (y < 72) break;
    }
  }
  return doc.save();
}

/**
 * Renders one page with pdfjs (in a render thread) as the only work of a process, and prints its
 * size: the process must neither exit under the pending render nor stay alive for the idle thread.
 *
 *     node --import tsx test/helpers/thread-pool-child.ts
 */
import { PDFDocument } from 'pdf-lib';
import { renderPdfPage } from '../../src/adapters/pdf/pdf-render.js';

const doc = await PDFDocument.create();
doc.addPage([200, 100]).drawText('child', { x: 10, y: 50, size: 20 });
const img = await renderPdfPage(await doc.save(), 1, 72);
console.log(JSON.stringify({ width: img.width, height: img.height }));

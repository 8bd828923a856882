/**
 * Draws barcodes with bwip-js: Code 128 for labels (the scheme's symbology) and DataMatrix / QR
 * for small spaces. Sizes are physical: module widths snap to whole printer dots so every bar
 * prints with the same width, and rasters are made at a resolution that maps modules to whole
 * pixels, so nothing is resampled on the way to paper.
 */
import bwipjs from 'bwip-js';
import type { PDFPage } from 'pdf-lib';
import { Invalid } from '../../errors.js';

export type Symbology = 'code128' | 'datamatrix' | 'qrcode';

/** The printer grid module widths snap to; whole dots at 300 dpi are also whole at 600. */
export const PRINTER_DPI = 300;
/** Rasters are made at twice the printer grid: bwip-js draws 2D modules as 2 px at scale 1. */
export const RASTER_DPI = 2 * PRINTER_DPI;
/** 3 dots at 300 dpi = 0.254 mm: the narrowest Code 128 module office printers and scanners handle reliably. */
export const MIN_MODULE_DOTS = 3;

const MM_PER_INCH = 25.4;
const PT_PER_INCH = 72;
const BWIP_ID: Record<Symbology, string> = { code128: 'code128', datamatrix: 'datamatrix', qrcode: 'qrcode' };
/** Quiet zone per side in modules, from each symbology's specification. */
const QUIET_MODULES: Record<Symbology, number> = { code128: 10, datamatrix: 1, qrcode: 4 };
/** Largest module that still looks like a label rather than a poster, in printer dots. */
const MAX_MODULE_DOTS: Record<Symbology, number> = { code128: 5, datamatrix: 8, qrcode: 8 };
const DEFAULT_MODULE_DOTS: Record<Symbology, number> = { code128: 4, datamatrix: 6, qrcode: 6 };

/** Converts printer dots to millimetres. */
export const dotsToMm = (dots: number): number => (dots / PRINTER_DPI) * MM_PER_INCH;
/** Converts millimetres to PDF points. */
export const mmToPt = (mm: number): number => (mm / MM_PER_INCH) * PT_PER_INCH;
/** Converts PDF points to millimetres. */
export const ptToMm = (pt: number): number => (pt / PT_PER_INCH) * MM_PER_INCH;

/**
 * Size of a symbol in modules, quiet zones included: Code 128 is `modules` wide (bars are as tall
 * as you make them); 2D codes are `modules` x `rows`.
 *
 *     symbolModules('code128', 'D0000001234') // { modules: 132, rows: 0 }
 */
export function symbolModules(symbology: Symbology, text: string): { modules: number; rows: number } {
  const quiet = 2 * QUIET_MODULES[symbology];
  const raw = encode(symbology, text);
  if (symbology === 'code128') {
    const sbs = raw.sbs ?? [];
    return { modules: sbs.reduce((a, b) => a + b, 0) + quiet, rows: 0 };
  }
  return { modules: (raw.pixx ?? 0) + quiet, rows: (raw.pixy ?? 0) + quiet };
}

/**
 * The widest module (in printer dots) whose symbol, quiet zones included, fits `widthMm` (and
 * `heightMm` for 2D codes); `undefined` when even the narrowest printable module does not fit.
 */
export function fitModuleDots(symbology: Symbology, text: string, widthMm: number, heightMm = Infinity): number | undefined {
  const { modules, rows } = symbolModules(symbology, text);
  for (let dots = MAX_MODULE_DOTS[symbology]; dots >= MIN_MODULE_DOTS; dots--) {
    const mm = dotsToMm(dots);
    if (modules * mm <= widthMm + 1e-9 && rows * mm <= heightMm + 1e-9) return dots;
  }
  return undefined;
}

export type BarcodePngOptions = {
  symbology?: Symbology;
  /** Module width in printer dots at 300 dpi (3 = 0.254 mm, 4 = 0.339 mm, ...); default 4 for Code 128, 6 for 2D. */
  moduleDots?: number;
  /** Code 128 bar height in mm (default 12); 2D codes are square-ish and ignore it. */
  barHeightMm?: number;
  /** Code 128 only: print the code under the bars (default true). */
  humanReadable?: boolean;
  /** Leave the symbology's quiet zone as white margin (default true). */
  quietZone?: boolean;
};

export type BarcodePng = {
  png: Buffer;
  widthPx: number;
  heightPx: number;
  /** Pixel density of the PNG; draw it at widthPx / dpi inches to get the intended module width. */
  dpi: number;
  widthMm: number;
  heightMm: number;
  moduleMm: number;
};

/**
 * Renders a barcode as a PNG at 600 dpi, opaque white background.
 *
 *     const { png, widthMm } = await renderBarcodePng('D0000001234'); // Code 128 with text
 *     await renderBarcodePng('D0000001234', { symbology: 'datamatrix', moduleDots: 4 });
 */
export async function renderBarcodePng(text: string, opts: BarcodePngOptions = {}): Promise<BarcodePng> {
  const symbology = opts.symbology ?? 'code128';
  const dots = checkModuleDots(opts.moduleDots ?? DEFAULT_MODULE_DOTS[symbology]);
  const pxPerModule = dots * (RASTER_DPI / PRINTER_DPI);
  const quiet = opts.quietZone === false ? 0 : QUIET_MODULES[symbology];
  const common = { bcid: BWIP_ID[symbology], text, backgroundcolor: 'FFFFFF' };
  let png: Buffer;
  if (symbology === 'code128') {
    const barHeightMm = opts.barHeightMm ?? 12;
    const humanReadable = opts.humanReadable ?? true;
    png = await toPng({
      ...common,
      scaleX: pxPerModule,
      scaleY: pxPerModule,
      // bwip-js takes the height in mm and multiplies it by 72/25.4 * scaleY px; undo the scaleY.
      height: (barHeightMm * RASTER_DPI) / PT_PER_INCH / pxPerModule,
      paddingwidth: quiet,
      paddingheight: humanReadable ? 2 : 0,
      includetext: humanReadable,
      textxalign: 'center',
      textsize: 9,
      textyoffset: 1,
    });
  } else {
    // bwip-js draws one 2D module as 2 px per unit of scale; RASTER_DPI = 2 x PRINTER_DPI makes that `dots`.
    png = await toPng({ ...common, scale: dots, padding: quiet * 2 });
  }
  const { width, height } = pngSize(png);
  return {
    png,
    widthPx: width,
    heightPx: height,
    dpi: RASTER_DPI,
    widthMm: (width / RASTER_DPI) * MM_PER_INCH,
    heightMm: (height / RASTER_DPI) * MM_PER_INCH,
    moduleMm: dotsToMm(dots),
  };
}

/** Where a barcode may go on a PDF page, in points from the bottom-left corner. */
export type PdfBox = { x: number; y: number; width: number; height: number };

export type DrawBarcodeOptions = {
  symbology?: Symbology;
  /** Force a module width in printer dots; by default the widest that fits the box is chosen. */
  moduleDots?: number;
  /** Horizontal placement of the symbol inside the box (default 'center'). */
  align?: 'left' | 'center' | 'right';
};

/** Where the bars (or 2D symbol) landed, quiet zones excluded, in points; and the module used. */
export type DrawnBarcode = PdfBox & { moduleMm: number; quietZonePt: number };

/**
 * Draws a barcode into a pdf-lib page, filling `box`: Code 128 bars take the full box height and
 * the widest printable module that fits the box width with its quiet zones; 2D codes are square
 * and fit both sides. The human-readable text is the caller's job (vector text prints sharper).
 * Throws `Invalid` ('barcode_does_not_fit') when even a 0.254 mm module is too wide.
 *
 *     await drawBarcode(page, 'D0000001234', { x: 20, y: 30, width: 170, height: 34 });
 */
export async function drawBarcode(page: PDFPage, text: string, box: PdfBox, opts: DrawBarcodeOptions = {}): Promise<DrawnBarcode> {
  const symbology = opts.symbology ?? 'code128';
  const widthMm = ptToMm(box.width);
  const heightMm = ptToMm(box.height);
  const dots =
    opts.moduleDots !== undefined
      ? checkModuleDots(opts.moduleDots)
      : fitModuleDots(symbology, text, widthMm, symbology === 'code128' ? Infinity : heightMm);
  if (dots === undefined) {
    throw new Invalid(
      `The ${symbology} barcode ${JSON.stringify(text)} does not fit ${widthMm.toFixed(1)} x ${heightMm.toFixed(1)} mm at a printable module width`,
      { symbology, text, widthMm, heightMm },
      'barcode_does_not_fit',
    );
  }
  // Quiet zones are left as white space in the box rather than drawn, so neighbouring ink is what
  // the layout decides; the raster holds only the symbol.
  const raster = symbology === 'code128' ? await renderBarStrip(text, dots) : await renderBarcodePng(text, { symbology, moduleDots: dots, quietZone: false });
  const image = await page.doc.embedPng(raster.png);
  const width = (raster.widthPx / RASTER_DPI) * PT_PER_INCH;
  const height = symbology === 'code128' ? box.height : (raster.heightPx / RASTER_DPI) * PT_PER_INCH;
  const quietZonePt = mmToPt(QUIET_MODULES[symbology] * dotsToMm(dots));
  const align = opts.align ?? 'center';
  const x =
    align === 'left' ? box.x + quietZonePt : align === 'right' ? box.x + box.width - quietZonePt - width : box.x + (box.width - width) / 2;
  const y = box.y + (box.height - height) / 2;
  page.drawImage(image, { x, y, width, height });
  return { x, y, width, height, moduleMm: dotsToMm(dots), quietZonePt };
}

/**
 * Code 128 bars as a strip a few pixels tall at 600 dpi across, stretched to the bar height when
 * drawn. Every column of a linear code is one colour top to bottom, so the stretch loses nothing
 * (even a renderer that interpolates has nothing to blur vertically), while a full-height raster
 * made a sheet of 24 labels 0.4 MB and 3 s to build.
 */
async function renderBarStrip(text: string, dots: number): Promise<{ png: Buffer; widthPx: number; heightPx: number }> {
  const png = await toPng({
    bcid: BWIP_ID.code128,
    text,
    backgroundcolor: 'FFFFFF',
    scaleX: dots * (RASTER_DPI / PRINTER_DPI),
    scaleY: 1,
    // bwip-js heights are mm, drawn at 72/25.4 px per mm per unit of scaleY: this gives 4 px.
    height: (4 * MM_PER_INCH) / PT_PER_INCH,
  });
  const { width, height } = pngSize(png);
  return { png, widthPx: width, heightPx: height };
}

type RawSymbol = { sbs?: number[]; pixx?: number; pixy?: number };

function encode(symbology: Symbology, text: string): RawSymbol {
  try {
    const [first] = bwipjs.raw({ bcid: BWIP_ID[symbology], text }) as RawSymbol[];
    return first ?? {};
  } catch (err) {
    throw cannotEncode(symbology, text, err);
  }
}

async function toPng(opts: bwipjs.RenderOptions): Promise<Buffer> {
  try {
    return await bwipjs.toBuffer(opts);
  } catch (err) {
    throw cannotEncode(opts.bcid as Symbology, opts.text, err);
  }
}

function cannotEncode(symbology: Symbology, text: string, err: unknown): Invalid {
  const reason = err instanceof Error ? err.message : String(err);
  return new Invalid(`Cannot encode ${JSON.stringify(text)} as ${symbology}`, { reason }, 'barcode_not_encodable');
}

function checkModuleDots(dots: number): number {
  if (!Number.isInteger(dots) || dots < MIN_MODULE_DOTS || dots > 20) {
    throw new RangeError(`moduleDots must be a whole number of printer dots in [${MIN_MODULE_DOTS}, 20], got ${dots}`);
  }
  return dots;
}

/** Width and height from the IHDR chunk, which is always first in a PNG. */
function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

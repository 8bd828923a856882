/**
 * Text with positions: the words a page's text layer or OCR gives, each with its box, grouped
 * into lines and, within a line, into segments (runs of words separated by ordinary spaces;
 * a wide gap, as between a label column and a value column or table cells, starts a new one).
 * Coordinates are page units with the origin top left and y growing downwards.
 */
export type Box = { x0: number; y0: number; x1: number; y1: number };
export type LayoutWord = Box & { text: string; confidence?: number };
export type LayoutPage = { pageNo: number; width: number; height: number; words: LayoutWord[] };

export type Segment = Box & { words: LayoutWord[]; text: string; /** folded text, same length as `text` */ folded: string; starts: number[] };
export type Line = Box & { pageNo: number; index: number; segments: Segment[]; height: number };

/** Lower case, diacritics removed, one character for one: indexes into the folded text fit the original. */
export function foldSameLength(s: string): string {
  let out = '';
  for (const ch of s.normalize('NFC')) {
    const f = ch.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
    out += f.length === 1 ? f : ch.length === 1 ? ch : ' ';
  }
  return out;
}

const height = (b: Box) => Math.max(1, b.y1 - b.y0);
const cy = (b: Box) => (b.y0 + b.y1) / 2;

function makeSegment(words: LayoutWord[]): Segment {
  const text = words.map((w) => w.text.normalize('NFC')).join(' ');
  const starts: number[] = [];
  let at = 0;
  for (const w of words) {
    starts.push(at);
    at += w.text.normalize('NFC').length + 1;
  }
  return {
    words,
    text,
    folded: foldSameLength(text),
    starts,
    x0: Math.min(...words.map((w) => w.x0)),
    y0: Math.min(...words.map((w) => w.y0)),
    x1: Math.max(...words.map((w) => w.x1)),
    y1: Math.max(...words.map((w) => w.y1)),
  };
}

/**
 * Groups a page's words into lines, following a slightly skewed scan: a word joins the line whose
 * last word sits level with it to its left. Lines come out top to bottom.
 */
export function buildLines(page: LayoutPage, firstIndex = 0): Line[] {
  const words = page.words.filter((w) => w.text.trim()).sort((a, b) => a.x0 - b.x0);
  const open: LayoutWord[][] = [];
  for (const w of words) {
    let best: LayoutWord[] | undefined;
    let bestD = Infinity;
    for (const line of open) {
      const last = line[line.length - 1]!;
      const h = Math.max(height(last), height(w));
      const d = Math.abs(cy(last) - cy(w));
      // Across a wide gap a skewed scan drifts: allow ~2° of slope over the gap.
      const gap = Math.max(0, w.x0 - last.x1);
      if (d < h * 0.5 + gap * 0.035 && last.x1 <= w.x0 + h * 0.5 && d < bestD) (best = line), (bestD = d);
    }
    if (best) best.push(w);
    else open.push([w]);
  }
  const lines = open.map((ws) => {
    const h = median(ws.map(height));
    // A gap wider than ~1.2 line heights is a column or cell boundary, not a space.
    const segments: Segment[] = [];
    let run: LayoutWord[] = [ws[0]!];
    for (let i = 1; i < ws.length; i++) {
      if (ws[i]!.x0 - ws[i - 1]!.x1 > h * 1.2) {
        segments.push(makeSegment(run));
        run = [];
      }
      run.push(ws[i]!);
    }
    segments.push(makeSegment(run));
    return { pageNo: page.pageNo, index: 0, segments, height: h, x0: segments[0]!.x0, x1: segments[segments.length - 1]!.x1, y0: Math.min(...segments.map((s) => s.y0)), y1: Math.max(...segments.map((s) => s.y1)) };
  });
  lines.sort((a, b) => cy(a) - cy(b) || a.x0 - b.x0);
  lines.forEach((l, i) => (l.index = firstIndex + i));
  return lines;
}

/** The lines of every page, numbered through the document. */
export function documentLines(pages: LayoutPage[]): Line[] {
  const out: Line[] = [];
  for (const p of [...pages].sort((a, b) => a.pageNo - b.pageNo)) out.push(...buildLines(p, out.length));
  return out;
}

/**
 * A layout for text that has no positions (typed in, or a page stored before boxes were kept):
 * a fixed-pitch page where runs of two or more spaces or a tab are column gaps.
 */
export function layoutFromText(text: string, pageNo = 1): LayoutPage {
  const words: LayoutWord[] = [];
  const lines = text.split('\n');
  lines.forEach((line, row) => {
    const expanded = line.replace(/\t/g, '    ');
    let shift = 0;
    for (const m of expanded.matchAll(/\S+/g)) {
      // A wide gap in typed text becomes a wide gap on the page.
      if (/\s{2,}$/.test(expanded.slice(0, m.index))) shift += 12;
      const x0 = m.index! * 6 + shift;
      words.push({ text: m[0], x0, x1: x0 + m[0].length * 6, y0: row * 14, y1: row * 14 + 10 });
    }
  });
  return { pageNo, width: 600, height: Math.max(1, lines.length) * 14, words };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 1;
}

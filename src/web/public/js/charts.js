// Tiny inline-SVG charts (no library): stacked horizontal bars and vertical column series.
// Every chart has a <title>/<desc> and a visually hidden table is left to the caller.

const NS = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A colour legend: [{ label, color }]. */
export function legend(series) {
  const div = document.createElement('div');
  div.className = 'legend';
  for (const x of series) {
    const span = document.createElement('span');
    span.style.setProperty('--c', x.color);
    span.textContent = x.label;
    div.append(span);
  }
  return div;
}

/**
 * Horizontal stacked bars, one row per category.
 * @example stackedBars({ title, rows: [{ label: 'Offerte', values: [3, 1] }], series: [{ label: 'dynamisch', color: '#00646e' }, …] })
 */
export function stackedBars({ title, rows, series, width = 460 }) {
  const rowH = 26;
  const labelW = 130;
  const top = 8;
  const height = top + rows.length * rowH + 24;
  const max = Math.max(1, ...rows.map((r) => r.values.reduce((a, b) => a + b, 0)));
  const scale = (width - labelW - 40) / max;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title });
  svg.append(s('title', {}, title));
  for (const tick of ticks(max)) {
    const x = labelW + tick * scale;
    svg.append(s('line', { x1: x, x2: x, y1: top - 4, y2: height - 20, class: 'grid-line' }), s('text', { x, y: height - 6, 'text-anchor': 'middle', fill: '#4f5965' }, String(tick)));
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    svg.append(s('text', { x: labelW - 8, y: y + rowH / 2 + 4, 'text-anchor': 'end' }, r.label));
    let x = labelW;
    r.values.forEach((v, j) => {
      if (!v) return;
      const w = v * scale;
      const rect = s('rect', { x, y: y + 4, width: Math.max(1, w), height: rowH - 8, fill: series[j].color, rx: 2 });
      rect.append(s('title', {}, `${r.label} · ${series[j].label}: ${v}`));
      svg.append(rect);
      x += w;
    });
    const total = r.values.reduce((a, b) => a + b, 0);
    svg.append(s('text', { x: x + 6, y: y + rowH / 2 + 4, fill: '#4f5965' }, String(total)));
  });
  return svg;
}

/**
 * Vertical columns over time, one column per period (stacked per series).
 * @example columns({ title, labels: ['jan', 'feb'], series: [{ label: 'digitaal', color, values: [2, 0] }] })
 */
export function columns({ title, labels, series, width = 460, height = 220 }) {
  const left = 34;
  const bottom = 28;
  const top = 10;
  const plotH = height - top - bottom;
  const totals = labels.map((_, i) => series.reduce((a, x) => a + (x.values[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const colW = (width - left - 8) / labels.length;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title });
  svg.append(s('title', {}, title));
  for (const tick of ticks(max)) {
    const y = top + plotH - (tick / max) * plotH;
    svg.append(s('line', { x1: left, x2: width - 4, y1: y, y2: y, class: 'grid-line' }), s('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', fill: '#4f5965' }, String(tick)));
  }
  svg.append(s('line', { x1: left, x2: width - 4, y1: top + plotH, y2: top + plotH, class: 'axis' }));
  labels.forEach((label, i) => {
    const x = left + i * colW;
    let y = top + plotH;
    series.forEach((ser) => {
      const v = ser.values[i] ?? 0;
      if (!v) return;
      const hgt = (v / max) * plotH;
      y -= hgt;
      const rect = s('rect', { x: x + colW * 0.18, y, width: colW * 0.64, height: hgt, fill: ser.color, rx: 2 });
      rect.append(s('title', {}, `${label} · ${ser.label}: ${v}`));
      svg.append(rect);
    });
    svg.append(s('text', { x: x + colW / 2, y: height - 10, 'text-anchor': 'middle', fill: '#4f5965' }, label));
  });
  return svg;
}

/** Up to five round tick values from 0 to max. */
function ticks(max) {
  const step = Math.max(1, niceStep(max / 4));
  const out = [];
  for (let v = 0; v <= max; v += step) out.push(v);
  return out;
}
function niceStep(x) {
  const p = 10 ** Math.floor(Math.log10(Math.max(x, 1)));
  const f = x / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

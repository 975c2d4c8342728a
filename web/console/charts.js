// Charts drawn as inline SVG, no library: a bar chart, a line chart of one
// or more series, and a week-by-hour heatmap. Each returns an <svg
// role="img"> whose aria-label says what it shows; every bar, point and
// cell has a <title> with its figure. Labels and titles are set as text
// (textContent), never parsed; colours come from classes in console.css
// (the strict CSP allows no inline style).

const NS = 'http://www.w3.org/2000/svg';

function svgEl(tag, attrs, text) {
  const n = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, String(v));
  if (text !== undefined) n.textContent = text;
  return n;
}

function titled(node, text) {
  node.append(svgEl('title', {}, text));
  return node;
}

function frame(width, height, label, className) {
  return svgEl('svg', {
    viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-label': label,
    class: 'chart ' + (className || ''), preserveAspectRatio: 'xMinYMin meet',
  });
}

/** A round maximum for an axis: 1, 2, 5 × 10^n at or above max. */
function niceMax(max) {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

function axis(svg, left, top, plotW, plotH, max, fmt) {
  svg.append(svgEl('line', { x1: left, y1: top + plotH, x2: left + plotW, y2: top + plotH, class: 'chart-axis' }));
  for (const f of [0, 0.5, 1]) {
    const y = top + plotH - f * plotH;
    svg.append(svgEl('line', { x1: left, y1: y, x2: left + plotW, y2: y, class: 'chart-grid' }));
    svg.append(svgEl('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', class: 'chart-tick' }, fmt(max * f)));
  }
}

/**
 * Bars: items [{label, value}], one <rect class="chart-bar"> each (a value
 * of 0 draws a bar of height 0, so the count of bars is the count of items).
 */
export function barChart(items, { label, format = String, labelEvery = 1 } = {}) {
  const width = 640; const height = 220; const left = 48; const top = 12; const bottom = 36;
  const plotW = width - left - 8; const plotH = height - top - bottom;
  const svg = frame(width, height, label, 'chart--bars');
  const max = niceMax(Math.max(0, ...items.map((i) => Number(i.value) || 0)));
  axis(svg, left, top, plotW, plotH, max, format);
  const slot = items.length ? plotW / items.length : plotW;
  items.forEach((item, i) => {
    const v = Number(item.value) || 0;
    const h = (v / max) * plotH;
    const x = left + i * slot + slot * 0.15;
    svg.append(titled(svgEl('rect', {
      x: x.toFixed(1), y: (top + plotH - h).toFixed(1), width: Math.max(1, slot * 0.7).toFixed(1),
      height: h.toFixed(1), class: 'chart-bar', 'data-value': v,
    }), `${item.label}: ${format(v)}`));
    if (i % labelEvery === 0) {
      svg.append(svgEl('text', { x: (x + slot * 0.35).toFixed(1), y: height - bottom + 16, 'text-anchor': 'middle', class: 'chart-tick' }, item.label));
    }
  });
  return svg;
}

/**
 * Lines: labels [x labels], series [{name, values (null = no point), className}];
 * one <polyline> per series through its points, a <circle> per point.
 */
export function lineChart(labels, series, { label, format = String, labelEvery = 1 } = {}) {
  const width = 640; const height = 220; const left = 64; const top = 12; const bottom = 36;
  const plotW = width - left - 8; const plotH = height - top - bottom;
  const svg = frame(width, height, label, 'chart--lines');
  const all = series.flatMap((s) => s.values.filter((v) => v !== null && v !== undefined));
  const max = niceMax(Math.max(0, ...all));
  axis(svg, left, top, plotW, plotH, max, format);
  const step = labels.length > 1 ? plotW / (labels.length - 1) : 0;
  const xAt = (i) => left + (labels.length > 1 ? i * step : plotW / 2);
  labels.forEach((l, i) => {
    if (i % labelEvery === 0) svg.append(svgEl('text', { x: xAt(i).toFixed(1), y: height - bottom + 16, 'text-anchor': 'middle', class: 'chart-tick' }, l));
  });
  for (const s of series) {
    const pts = [];
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) return;
      const x = xAt(i); const y = top + plotH - (v / max) * plotH;
      pts.push(`${x.toFixed(1)},${y.toFixed(1)}`);
      svg.append(titled(svgEl('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: 3, class: 'chart-point ' + s.className }),
        `${s.name}, ${labels[i]}: ${format(v)}`));
    });
    if (pts.length > 1) svg.append(svgEl('polyline', { points: pts.join(' '), class: 'chart-line ' + s.className }));
  }
  return svg;
}

/** A heatmap of rows × columns (rows [{label, values}]): one <rect class="chart-cell"> per value. */
export function heatmap(rows, columns, { label, format = String } = {}) {
  const cell = 22; const left = 44; const top = 20;
  const width = left + columns.length * cell + 4; const height = top + rows.length * cell + 4;
  const svg = frame(width, height, label, 'chart--heat');
  const max = Math.max(0, ...rows.flatMap((r) => r.values));
  columns.forEach((c, j) => {
    if (j % 3 === 0) svg.append(svgEl('text', { x: left + j * cell + cell / 2, y: top - 6, 'text-anchor': 'middle', class: 'chart-tick' }, c));
  });
  rows.forEach((r, i) => {
    svg.append(svgEl('text', { x: left - 6, y: top + i * cell + cell * 0.65, 'text-anchor': 'end', class: 'chart-tick' }, r.label));
    r.values.forEach((v, j) => {
      const level = max > 0 && v > 0 ? Math.min(4, 1 + Math.floor((v / max) * 4 - 1e-9)) : 0;
      svg.append(titled(svgEl('rect', {
        x: left + j * cell + 1, y: top + i * cell + 1, width: cell - 2, height: cell - 2,
        class: `chart-cell chart-cell--${level}`, 'data-value': v,
      }), `${r.label} ${columns[j]}: ${format(v)}`));
    });
  });
  return svg;
}

/**
 * Layer × expert load as an SVG heatmap: one row per router layer of the loaded checkpoint, one column per
 * expert; a cell's colour is tokens routed ÷ mean on a log scale (blue below the mean, red above, the panel's
 * background at exactly the mean). Clicking a row (or Enter/Space/arrows on a focused row) picks the layer that
 * the histogram and the statistics show. Colours are theme variables (media/preview.css); no inline styles.
 */
import { el, svg } from './dom';

export interface HeatmapRow {
  /** The model's layer number. */
  readonly layer: number;
  readonly counts: ArrayLike<number>;
}

export interface HeatmapOptions {
  /** Tokens per expert if every expert were equally loaded (T·k/E). */
  readonly mean: number;
  /** Index into `rows` of the layer shown below. */
  readonly selected: number;
  /** The host's width in CSS pixels. */
  readonly width: number;
  readonly select: (row: number) => void;
}

const MARGIN = { top: 6, right: 8, bottom: 34, left: 44 };
const TICK_SPACING = 44;
/** ratio ↦ [-1, 1]: log₂, saturating at ¼× and 4× (an idle expert is -1). */
const SATURATION = 2;

export function heatValue(ratio: number): number {
  if (!(ratio > 0)) return -1;
  return Math.max(-1, Math.min(1, Math.log2(ratio) / SATURATION));
}

function cellPaint(ratio: number): { class: string; 'fill-opacity': string } {
  const v = heatValue(ratio);
  return { class: v >= 0 ? 'cell hot' : 'cell cold', 'fill-opacity': Math.abs(v).toFixed(3) };
}

export function renderHeatmap(rows: readonly HeatmapRow[], options: HeatmapOptions): SVGSVGElement {
  const L = rows.length;
  const E = rows[0]?.counts.length ?? 0;
  const width = Math.max(200, Math.round(options.width || 600));
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const rowHeight = Math.max(5, Math.min(18, Math.floor(300 / Math.max(1, L))));
  const plotHeight = rowHeight * L;
  const height = MARGIN.top + plotHeight + MARGIN.bottom;
  const cell = plotWidth / Math.max(1, E);
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    class: 'heatmap',
    role: 'group',
    'aria-label': `Load per layer and expert: ${L} layers × ${E} experts; colour is tokens routed ÷ mean. Pick a layer to show it below.`,
    'data-rows': L,
    'data-columns': E,
  });
  // Label every labelStep-th layer so labels stay 12 px apart; the selected one is always labelled.
  const labelStep = Math.max(1, Math.ceil(12 / rowHeight));
  rows.forEach((row, r) => {
    const y = MARGIN.top + r * rowHeight;
    let max = 0;
    let idle = 0;
    for (let e = 0; e < E; e++) {
      max = Math.max(max, row.counts[e]!);
      if (row.counts[e] === 0) idle++;
    }
    const summary = `layer ${row.layer}: max ${(max / options.mean).toFixed(2)}× mean, ${idle} idle expert${idle === 1 ? '' : 's'}`;
    const group = svg('g', { class: `heat-row${r === options.selected ? ' selected' : ''}`, 'data-layer': row.layer, 'data-row': r, tabindex: 0, role: 'button', 'aria-pressed': String(r === options.selected), 'aria-label': summary });
    // The whole row, label included, answers the pointer.
    group.append(svg('rect', { x: 0, y, width, height: rowHeight, class: 'row-hit' }));
    for (let e = 0; e < E; e++) {
      const count = row.counts[e]!;
      const ratio = count / options.mean;
      group.append(svg('rect', { x: MARGIN.left + e * cell, y, width: cell + 0.02, height: rowHeight - (rowHeight >= 8 ? 1 : 0), ...cellPaint(ratio) }, svg('title', {}, `layer ${row.layer} · expert ${e}: ${count} tokens (${ratio.toFixed(2)}× mean)`)));
    }
    if (r % labelStep === 0 || r === options.selected) {
      group.append(svg('text', { x: MARGIN.left - 6, y: y + rowHeight / 2 + 4, class: `axis-label${r === options.selected ? ' selected-label' : ''}`, 'text-anchor': 'end' }, String(row.layer)));
    }
    group.addEventListener('click', () => options.select(r));
    group.addEventListener('keydown', (event: KeyboardEvent) => {
      const next = event.key === 'ArrowDown' ? r + 1 : event.key === 'ArrowUp' ? r - 1 : event.key === 'Enter' || event.key === ' ' ? r : undefined;
      if (next === undefined || next < 0 || next >= L) return;
      event.preventDefault();
      options.select(next);
    });
    root.append(group);
  });
  if (options.selected >= 0 && options.selected < L) {
    root.append(svg('rect', { x: MARGIN.left - 1, y: MARGIN.top + options.selected * rowHeight - 1, width: plotWidth + 2, height: rowHeight + 1, class: 'heat-selected' }));
  }
  root.append(svg('text', { x: 10, y: MARGIN.top + plotHeight / 2, class: 'axis-label', 'text-anchor': 'middle', transform: `rotate(-90 10 ${MARGIN.top + plotHeight / 2})` }, 'layer'));
  const step = 2 ** Math.ceil(Math.log2(Math.max(1, E / Math.max(1, Math.floor(plotWidth / TICK_SPACING)))));
  for (let e = 0; e < E; e += step) {
    root.append(svg('text', { x: MARGIN.left + e * cell + cell / 2, y: height - 20, class: 'axis-label', 'text-anchor': 'middle' }, String(e)));
  }
  root.append(svg('text', { x: width - MARGIN.right, y: height - 4, class: 'axis-label', 'text-anchor': 'end' }, 'expert id'));
  return root;
}

/** The colour key: idle … ½× … mean … 2× … 4×+, painted as the cells are, with its ratios written under it. */
export function renderHeatmapLegend(mean: number): HTMLElement {
  const stops = [0, 0.25, 0.5, 0.71, 1, 1.41, 2, 2.83, 4];
  const size = 22;
  const width = stops.length * size;
  const key = svg('svg', { viewBox: `0 0 ${width} ${size + 14}`, width, height: size + 14, class: 'heat-key', role: 'img', 'aria-label': 'colour scale: idle, half the mean, the mean, twice the mean, four times the mean or more' });
  stops.forEach((ratio, i) => key.append(svg('rect', { x: i * size, y: 0, width: size, height: size, ...cellPaint(ratio) })));
  key.append(svg('rect', { x: 0.5, y: 0.5, width: width - 1, height: size - 1, class: 'heat-key-frame' }));
  const label = (x: number, anchor: string, text: string): SVGTextElement => svg('text', { x, y: size + 12, class: 'axis-label', 'text-anchor': anchor }, text);
  key.append(label(0, 'start', 'idle'), label(2.5 * size, 'middle', '½×'), label(4.5 * size, 'middle', '1× mean'), label(6.5 * size, 'middle', '2×'), label(width, 'end', '4×+'));
  return el(
    'div',
    { class: 'muted legend heat-legend' },
    key,
    el('span', { class: 'heat-legend-note' }, `Colour: tokens an expert got ÷ the mean (${mean.toFixed(1)} tokens per expert). Click a layer's row to show it below.`),
  );
}

/** Tokens per expert as SVG bars (by id or sorted), with mean and capacity lines and a compare series. */
import { el, svg } from './dom';

export interface ChartSeries {
  readonly label: string;
  readonly counts: ArrayLike<number>;
}

export interface ChartOptions {
  readonly sorted: boolean;
  readonly capacity?: number;
  /** The capacity the router keeps itself (Hunyuan-A13B), beside the capacity factor's what-if. */
  readonly routerCapacity?: number;
  readonly mean: number;
  /** The host's width in CSS pixels: drawn at that size, labels keep their 11 px in any panel. */
  readonly width?: number;
}

const MARGIN = { top: 12, right: 12, bottom: 40, left: 48 };
/** Room per x-axis label, in pixels. */
const TICK_SPACING = 44;

export function renderChart(primary: ChartSeries, compare: ChartSeries | undefined, options: ChartOptions): SVGSVGElement {
  const WIDTH = Math.max(240, Math.round(options.width || 960));
  const HEIGHT = Math.round(Math.min(300, Math.max(200, WIDTH * 0.45)));
  const E = primary.counts.length;
  const order = Array.from({ length: E }, (_, i) => i);
  if (options.sorted) order.sort((a, b) => primary.counts[b]! - primary.counts[a]!);
  const max = Math.max(1, options.capacity ?? 0, options.routerCapacity ?? 0, ...Array.from(primary.counts), ...(compare ? Array.from(compare.counts) : []));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const slot = plotWidth / E;
  const barWidth = Math.max(0.5, (compare ? slot / 2 : slot) * 0.85);
  const y = (value: number): number => MARGIN.top + plotHeight - (value / max) * plotHeight;

  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'chart', role: 'img', 'aria-label': `Tokens per expert, ${E} experts${options.sorted ? ', sorted by load' : ''}` });
  for (let value = 0; value <= max; value += gridStep(max)) {
    root.append(
      svg('line', { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(value), y2: y(value), class: 'grid' }),
      svg('text', { x: MARGIN.left - 6, y: y(value) + 4, class: 'axis-label', 'text-anchor': 'end' }, String(value)),
    );
  }
  order.forEach((expert, position) => {
    const x = MARGIN.left + position * slot;
    const value = primary.counts[expert]!;
    root.append(
      svg('rect', { x: x + (slot - (compare ? barWidth * 2 : barWidth)) / 2, y: y(value), width: barWidth, height: Math.max(0, y(0) - y(value)), class: 'bar primary', 'data-expert': expert }, svg('title', {}, `expert ${expert}: ${value} tokens (${primary.label})`)),
    );
    if (compare) {
      const other = compare.counts[expert] ?? 0;
      root.append(
        svg('rect', { x: x + (slot - barWidth * 2) / 2 + barWidth, y: y(other), width: barWidth, height: Math.max(0, y(0) - y(other)), class: 'bar compare' }, svg('title', {}, `expert ${expert}: ${other} tokens (${compare.label})`)),
      );
    }
  });
  root.append(svg('line', { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(options.mean), y2: y(options.mean), class: 'mean-line' }, svg('title', {}, `mean ${options.mean.toFixed(1)} tokens per expert`)));
  if (options.capacity !== undefined) {
    root.append(svg('line', { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(options.capacity), y2: y(options.capacity), class: 'capacity-line' }, svg('title', {}, `capacity ${options.capacity} tokens per expert`)));
  }
  if (options.routerCapacity !== undefined) {
    root.append(svg('line', { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(options.routerCapacity), y2: y(options.routerCapacity), class: 'router-capacity-line' }, svg('title', {}, `the router keeps ${options.routerCapacity} tokens per expert`)));
  }
  root.append(svg('text', { x: 12, y: MARGIN.top + plotHeight / 2, class: 'axis-label', 'text-anchor': 'middle', transform: `rotate(-90 12 ${MARGIN.top + plotHeight / 2})` }, 'tokens'));
  // Label every step-th expert, the step a power of two (expert counts are: 8, 32, 128, 256).
  const step = 2 ** Math.ceil(Math.log2(Math.max(1, E / Math.max(1, Math.floor(plotWidth / TICK_SPACING)))));
  order.forEach((expert, position) => {
    if (position % step !== 0) return;
    root.append(svg('text', { x: MARGIN.left + position * slot + slot / 2, y: HEIGHT - 24, class: 'axis-label', 'text-anchor': 'middle' }, String(expert)));
  });
  // The axis title has its own line, so no expert id runs into it.
  root.append(svg('text', { x: WIDTH - MARGIN.right, y: HEIGHT - 6, class: 'axis-label', 'text-anchor': 'end' }, options.sorted ? 'experts, most loaded first' : 'expert id'));
  return root;
}

/** Token counts between grid lines: 1, 2 or 5 × 10ⁿ, for four to six lines up to `max`. */
function gridStep(max: number): number {
  const rough = Math.max(1, max / 5);
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= rough)!;
}

/** What the chart's colours and lines mean, beside the chart (issue #11: nothing on it goes unexplained). */
export function renderChartLegend(primary: ChartSeries, compare: ChartSeries | undefined, options: Pick<ChartOptions, 'capacity' | 'routerCapacity' | 'mean'>, capacityFactor: number): HTMLElement {
  const item = (swatch: string, text: string): HTMLElement => el('span', { class: 'legend-item' }, el('span', { class: `swatch ${swatch}` }), ` ${text}`);
  return el(
    'p',
    { class: 'muted legend chart-legend' },
    item('primary', primary.label),
    ...(compare ? [item('compare', compare.label)] : []),
    item('mean-key', `mean ${options.mean.toFixed(1)} tokens per expert (every expert equally loaded)`),
    ...(options.routerCapacity !== undefined ? [item('router-capacity-key', `the router's own capacity, ${options.routerCapacity} tokens (max(k, ⌊mean⌋)): it drops what is above it; the bars are the choices before that`)] : []),
    ...(options.capacity !== undefined ? [item('capacity-key', `capacity ${options.capacity} tokens (${capacityFactor} × mean): above it, tokens are dropped`)] : []),
  );
}

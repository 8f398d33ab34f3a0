/** The Balancing tab's pictures: max/mean load and CV against step, and the bias each expert has reached. */
import { el, svg } from './dom';

export interface BalancingPoint {
  readonly step: number;
  readonly maxOverMean: number;
  readonly coefficientOfVariation: number;
}

const MARGIN = { top: 12, right: 48, bottom: 36, left: 48 };

/** Two lines over the steps: max/mean on the left axis (1 = balanced), CV on the right. */
export function renderBalancingCurve(points: readonly BalancingPoint[], options: { width?: number; plannedSteps: number }): SVGSVGElement {
  const WIDTH = Math.max(240, Math.round(options.width || 960));
  const HEIGHT = Math.round(Math.min(260, Math.max(180, WIDTH * 0.35)));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const lastStep = Math.max(options.plannedSteps, points.at(-1)?.step ?? 1, 2);
  const maxRatio = Math.max(1.5, ...points.map((p) => p.maxOverMean));
  const maxCv = Math.max(0.2, ...points.map((p) => p.coefficientOfVariation));
  const x = (step: number): number => MARGIN.left + ((step - 1) / (lastStep - 1)) * plotWidth;
  const yRatio = (v: number): number => MARGIN.top + plotHeight - ((v - 1) / (maxRatio - 1)) * plotHeight;
  const yCv = (v: number): number => MARGIN.top + plotHeight - (v / maxCv) * plotHeight;
  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'chart balancing-curve', role: 'img', 'aria-label': `Load balance over ${points.length} steps` });
  for (let i = 0; i <= 4; i++) {
    const ratio = 1 + ((maxRatio - 1) * i) / 4;
    root.append(
      svg('line', { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: yRatio(ratio), y2: yRatio(ratio), class: 'grid' }),
      svg('text', { x: MARGIN.left - 6, y: yRatio(ratio) + 4, class: 'axis-label', 'text-anchor': 'end' }, ratio.toFixed(2)),
      svg('text', { x: WIDTH - MARGIN.right + 6, y: yRatio(ratio) + 4, class: 'axis-label' }, ((maxCv * i) / 4).toFixed(2)),
    );
  }
  const path = (y: (p: BalancingPoint) => number): string => points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.step).toFixed(1)},${y(p).toFixed(1)}`).join(' ');
  if (points.length > 0) {
    root.append(
      svg('path', { d: path((p) => yRatio(p.maxOverMean)), class: 'curve ratio' }, svg('title', {}, 'max / mean tokens per expert (1 = every expert equally loaded)')),
      svg('path', { d: path((p) => yCv(p.coefficientOfVariation)), class: 'curve cv' }, svg('title', {}, 'coefficient of variation of the load (std / mean)')),
    );
  }
  root.append(
    svg('text', { x: 12, y: MARGIN.top + plotHeight / 2, class: 'axis-label', 'text-anchor': 'middle', transform: `rotate(-90 12 ${MARGIN.top + plotHeight / 2})` }, 'max / mean'),
    svg('text', { x: WIDTH - 8, y: MARGIN.top + plotHeight / 2, class: 'axis-label', 'text-anchor': 'middle', transform: `rotate(90 ${WIDTH - 8} ${MARGIN.top + plotHeight / 2})` }, 'CV'),
    svg('text', { x: MARGIN.left, y: HEIGHT - 8, class: 'axis-label' }, '1'),
    svg('text', { x: WIDTH - MARGIN.right, y: HEIGHT - 8, class: 'axis-label', 'text-anchor': 'end' }, `step ${lastStep}`),
  );
  return root;
}

/** The bias per expert: bars up (favoured) and down (held back) from zero. */
export function renderBiasBars(bias: ArrayLike<number>, options: { width?: number }): SVGSVGElement {
  const WIDTH = Math.max(240, Math.round(options.width || 960));
  const HEIGHT = 140;
  const margin = { top: 8, right: 12, bottom: 24, left: 64 };
  const E = bias.length;
  const plotWidth = WIDTH - margin.left - margin.right;
  const plotHeight = HEIGHT - margin.top - margin.bottom;
  const extent = Math.max(1e-12, ...Array.from(bias, (b) => Math.abs(b)));
  const zero = margin.top + plotHeight / 2;
  const y = (v: number): number => zero - (v / extent) * (plotHeight / 2);
  const slot = plotWidth / E;
  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'chart bias-bars', role: 'img', 'aria-label': `Selection bias of ${E} experts` });
  root.append(
    svg('line', { x1: margin.left, x2: WIDTH - margin.right, y1: zero, y2: zero, class: 'grid' }),
    svg('text', { x: margin.left - 6, y: y(extent) + 8, class: 'axis-label', 'text-anchor': 'end' }, `+${extent.toExponential(1)}`),
    svg('text', { x: margin.left - 6, y: zero + 4, class: 'axis-label', 'text-anchor': 'end' }, '0'),
    svg('text', { x: margin.left - 6, y: y(-extent), class: 'axis-label', 'text-anchor': 'end' }, `−${extent.toExponential(1)}`),
    svg('text', { x: WIDTH - margin.right, y: HEIGHT - 6, class: 'axis-label', 'text-anchor': 'end' }, 'expert id'),
  );
  for (let e = 0; e < E; e++) {
    const v = bias[e]!;
    root.append(
      svg('rect', { x: margin.left + e * slot + slot * 0.075, y: Math.min(y(v), zero), width: Math.max(0.5, slot * 0.85), height: Math.abs(y(v) - zero), class: `bar ${v >= 0 ? 'primary' : 'compare'}` }, svg('title', {}, `expert ${e}: bias ${v.toExponential(3)}`)),
    );
  }
  return root;
}

/** What the lines and bars mean (nothing on the tab goes unexplained). */
export function renderBalancingLegend(): HTMLElement {
  const item = (swatch: string, text: string): HTMLElement => el('span', { class: 'legend-item' }, el('span', { class: `swatch ${swatch}` }), ` ${text}`);
  return el(
    'p',
    { class: 'muted legend' },
    item('ratio-key', 'max / mean tokens per expert (left axis; 1 = balanced)'),
    item('cv-key', 'coefficient of variation (right axis); both averaged over the last cycle of batches'),
    item('primary', 'bias raised (the expert was underloaded)'),
    item('compare', 'bias lowered (overloaded)'),
  );
}

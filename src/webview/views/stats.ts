/** The numbers users ask for, with the comparison and its difference; also as a sortable table. */
import type { LoadStats } from '../../core/router/stats';
import { el, formatNumber } from './dom';

interface Row {
  readonly label: string;
  readonly value: (s: LoadStats) => number | undefined;
  readonly format: (v: number) => string;
  readonly hint: string;
}

const ROWS: readonly Row[] = [
  { label: 'max / mean', value: (s) => s.maxOverMean, format: (v) => `${formatNumber(v)}×`, hint: '1× is perfectly balanced' },
  { label: 'coefficient of variation', value: (s) => s.coefficientOfVariation, format: (v) => formatNumber(v, 3), hint: 'std / mean of per-expert loads' },
  { label: 'idle experts', value: (s) => s.idleExperts, format: (v) => String(v), hint: 'experts that got no token' },
  { label: 'dropped by the router', value: (s) => s.routerDroppedFraction, format: (v) => `${formatNumber(v * 100, 1)}%`, hint: 'assignments beyond the capacity the router keeps itself, max(k, ⌊k·T/E⌋) tokens an expert (see the semantics line)' },
  { label: 'dropped at capacity', value: (s) => s.droppedFraction, format: (v) => `${formatNumber(v * 100, 1)}%`, hint: 'assignments beyond capacity' },
  { label: 'hottest EP rank / mean', value: (s) => (s.rankLoads.length > 1 ? s.rankMaxOverMean : undefined), format: (v) => `${formatNumber(v)}×`, hint: 'tokens on the busiest expert-parallel rank' },
];

export function renderStats(primary: LoadStats, compare: LoadStats | undefined, compareLabel: string | undefined): HTMLElement {
  const list = el('dl', { class: 'stat-list' });
  for (const row of ROWS) {
    const value = row.value(primary);
    if (value === undefined) continue;
    const other = compare ? row.value(compare) : undefined;
    const detail = other !== undefined ? el('span', { class: 'compare-value' }, ` vs ${row.format(other)} (${value - other >= 0 ? '+' : ''}${row.format(value - other)})`) : '';
    list.append(el('dt', { title: row.hint }, row.label), el('dd', {}, el('span', { class: 'stat-value' }, row.format(value)), detail));
  }
  const wrapper = el('div', {}, list);
  if (compare && compareLabel) wrapper.append(el('p', { class: 'muted legend' }, el('span', { class: 'swatch primary' }), ' this config  ', el('span', { class: 'swatch compare' }, ''), ` ${compareLabel}`));
  if (primary.rankLoads.length > 1) wrapper.append(el('p', { class: 'muted' }, `EP ranks: ${primary.rankLoads.join(' · ')} tokens`));
  return wrapper;
}

/** The per-expert numbers as a real table: keyboard- and screen-reader-friendly, sortable by any column. */
export function renderTable(counts: ArrayLike<number>, compare: ArrayLike<number> | undefined, mean: number, capacity: number | undefined): HTMLElement {
  const rows = Array.from({ length: counts.length }, (_, e) => ({ expert: e, tokens: counts[e]!, compare: compare?.[e], share: counts[e]! / Math.max(mean, 1e-9) }));
  const table = el('table', { class: 'load-table' });
  const columns: { key: 'expert' | 'tokens' | 'compare' | 'share'; label: string }[] = [
    { key: 'expert', label: 'expert' },
    { key: 'tokens', label: 'tokens' },
    ...(compare ? [{ key: 'compare' as const, label: 'compare' }] : []),
    { key: 'share', label: '× mean' },
  ];
  let sortKey: (typeof columns)[number]['key'] = 'expert';
  let descending = false;
  const body = el('tbody');
  const fill = (): void => {
    rows.sort((a, b) => ((a[sortKey] ?? 0) - (b[sortKey] ?? 0)) * (descending ? -1 : 1));
    body.replaceChildren(
      ...rows.map((r) =>
        el(
          'tr',
          capacity !== undefined && r.tokens > capacity ? { class: 'over-capacity' } : {},
          el('td', {}, String(r.expert)),
          el('td', {}, String(r.tokens)),
          ...(compare ? [el('td', {}, String(r.compare ?? ''))] : []),
          el('td', {}, formatNumber(r.share)),
        ),
      ),
    );
  };
  const header = el('tr');
  for (const column of columns) {
    const button = el('button', { type: 'button', class: 'sort' }, column.label);
    const cell = el('th', { scope: 'col', 'aria-sort': 'none' }, button);
    button.addEventListener('click', () => {
      descending = sortKey === column.key ? !descending : column.key !== 'expert';
      sortKey = column.key;
      header.querySelectorAll('th').forEach((th) => th.setAttribute('aria-sort', 'none'));
      cell.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
      fill();
    });
    header.append(cell);
  }
  table.append(el('caption', {}, 'Tokens per expert'), el('thead', {}, header), body);
  fill();
  return table;
}

/** The run-settings bar: number fields, selects, Run and "run on change". It reports changes; it keeps no state. */
import type { Controls } from '../state';
import { custom, el } from './dom';

export interface ControlsHandlers {
  /** A setting changed; `rerun` is false for settings that do not change the result. */
  change(patch: Partial<Controls>, rerun?: boolean): void;
  run(): void;
}

type NumberKey = 'tokens' | 'hidden' | 'clusters' | 'seed' | 'capacityFactor' | 'ep';

function numberField(controls: Controls, handlers: ControlsHandlers, label: string, key: NumberKey, hint: string): HTMLElement {
  const id = `control-${key}`;
  const field = custom('vscode-textfield', { id, type: 'number', step: key === 'capacityFactor' ? '0.01' : '1', min: key === 'seed' ? '0' : key === 'capacityFactor' ? '0.01' : '1', value: String(controls[key]), title: hint, 'aria-label': label });
  field.addEventListener('change', () => handlers.change({ [key]: Number((field as unknown as { value: string }).value) } as Partial<Controls>));
  return el('div', { class: 'control' }, custom('vscode-label', { for: id }, label), field);
}

function selectField(controls: Controls, handlers: ControlsHandlers, label: string, key: 'distribution' | 'compare' | 'backend', options: [string, string][]): HTMLElement {
  const id = `control-${key}`;
  const select = custom('vscode-single-select', { id, 'aria-label': label }, ...options.map(([value, text]) => custom('vscode-option', { value, ...(controls[key] === value ? { selected: '' } : {}) }, text)));
  select.addEventListener('change', () => handlers.change({ [key]: (select as unknown as { value: string }).value } as Partial<Controls>));
  return el('div', { class: 'control' }, custom('vscode-label', { for: id }, label), select);
}

/** Fills `host` with the controls for these settings; `comparisons` are the "compare with" choices besides none. */
export function renderControls(host: HTMLElement, controls: Controls, comparisons: readonly [string, string][], handlers: ControlsHandlers): void {
  const run = custom('vscode-button', { id: 'run', title: 'Run now' }, 'Run');
  run.addEventListener('click', () => handlers.run());
  const auto = custom('vscode-checkbox', { id: 'auto-run', ...(controls.autoRun ? { checked: '' } : {}) }, 'run on change');
  auto.addEventListener('change', () => handlers.change({ autoRun: (auto as unknown as { checked: boolean }).checked }, false));
  const number = (label: string, key: NumberKey, hint: string): HTMLElement => numberField(controls, handlers, label, key, hint);
  const select = (label: string, key: 'distribution' | 'compare' | 'backend', options: [string, string][]): HTMLElement => selectField(controls, handlers, label, key, options);
  host.replaceChildren(
    number('tokens', 'tokens', 'tokens routed in one batch'),
    number('hidden size', 'hidden', 'model dimension the router projects from'),
    select('tokens drawn', 'distribution', [['isotropic', 'isotropic N(0, 1)'], ['clustered', 'clustered']]),
    ...(controls.distribution === 'clustered' ? [number('clusters', 'clusters', 'number of token clusters')] : []),
    number('seed', 'seed', 'seed of the synthetic tokens and gate'),
    number('capacity factor', 'capacityFactor', 'per-expert capacity = ceil(T·k/E · factor)'),
    number('EP size', 'ep', 'expert-parallel ranks (experts split in contiguous blocks)'),
    select('compare with', 'compare', [['none', 'none'], ...comparisons]),
    select('backend', 'backend', [['auto', 'auto (WebGPU → WASM)'], ['webgpu', 'WebGPU'], ['wasm', 'WASM']]),
    el('div', { class: 'control actions' }, run, auto),
  );
}

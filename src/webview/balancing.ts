/**
 * The Balancing tab (issue #11 item 3): the framework's own selection-bias update, step by step, on the tokens
 * and router the panel just routed. The tokens split into BATCHES batches routed in turn; each batch's pre-bias
 * scores are computed once on onnxruntime-web, then the steps run in TypeScript (src/core/router/balancing.ts),
 * a few per frame so that "Pause" answers at once. Only the bias moves: the gate is frozen.
 */
import { BalancingSimulation, splitBatches, type BiasUpdateRule } from '../core/router/balancing';
import type { RouterInputs } from '../core/router/cpu-router';
import type { RouterConfig } from '../core/router/router-config';
import { runChoiceValues, type Backend } from './runner';
import { renderBalancingCurve, renderBalancingLegend, renderBiasBars, type BalancingPoint } from './views/balancing-chart';
import { custom, el } from './views/dom';

export const BALANCING_BATCHES = 4;
/** Steps one "Run" adds. */
export const RUN_STEPS = 200;
/** Steps between repaints while running. */
const STEPS_PER_FRAME = 10;

export interface BalancingSource {
  readonly config: RouterConfig;
  readonly rule: BiasUpdateRule;
  readonly inputs: RouterInputs;
  readonly backend: Backend;
  /** A checkpoint's bias to start from; zero otherwise (where training starts it), as `route --balance` does. */
  readonly startBias?: ArrayLike<number>;
  /** Where the bias starts, in words. */
  readonly startLabel: string;
}

export class BalancingTab {
  readonly element: HTMLElement;
  private simulation?: Promise<BalancingSimulation>;
  /** Each step's own balance, and the curve drawn: the mean over the last cycle of batches. */
  private readonly raw: BalancingPoint[] = [];
  private readonly points: BalancingPoint[] = [];
  private bias?: Float64Array;
  private running = false;
  private target = 0;
  private disposed = false;
  private readonly status = el('p', { class: 'muted balancing-status', id: 'balancing-status' });
  private readonly curveHost = el('div', { class: 'chart-host' });
  private readonly biasHost = el('div', { class: 'chart-host' });
  private readonly runButton = custom('vscode-button', { id: 'balancing-run' }, `Run ${RUN_STEPS} steps`);
  private readonly pauseButton = custom('vscode-button', { id: 'balancing-pause', secondary: '', disabled: '' }, 'Pause');
  private readonly stepButton = custom('vscode-button', { id: 'balancing-step', secondary: '' }, 'Step');
  private readonly resetButton = custom('vscode-button', { id: 'balancing-reset', secondary: '' }, 'Reset');

  constructor(private readonly source: BalancingSource) {
    const perBatch = Math.floor(source.inputs.tokens / BALANCING_BATCHES);
    this.runButton.addEventListener('click', () => void this.run(RUN_STEPS));
    this.pauseButton.addEventListener('click', () => (this.running = false));
    this.stepButton.addEventListener('click', () => void this.run(1));
    this.resetButton.addEventListener('click', () => this.reset());
    this.element = el(
      'div',
      { class: 'balancing' },
      el('p', { class: 'muted' }, `Each step routes one batch of ${perBatch} tokens (the ${source.inputs.tokens} above, in ${BALANCING_BATCHES} batches in turn), counts each expert's tokens and updates the selection bias by the framework's own rule: ${source.rule.source}. Rate: ${source.rule.rateSource}. The bias starts at ${source.startLabel}. Only the bias moves: the gate is frozen (no gradient step).`),
      el('div', { class: 'balancing-toolbar' }, this.runButton, this.pauseButton, this.stepButton, this.resetButton),
      this.status,
      this.curveHost,
      el('h3', {}, 'Bias per expert'),
      this.biasHost,
      renderBalancingLegend(),
    );
    this.status.textContent = 'Not run yet: "Step" takes one step, "Run" takes 200.';
    this.draw();
  }

  /** The inputs changed (a new run, another layer): this tab is dropped; stop stepping. */
  dispose(): void {
    this.disposed = true;
    this.running = false;
  }

  redraw(): void {
    this.draw();
  }

  private reset(): void {
    this.running = false;
    this.simulation = undefined;
    this.points.length = 0;
    this.raw.length = 0;
    this.bias = undefined;
    this.status.textContent = 'Reset: the bias is back at its start.';
    this.publish();
    this.draw();
  }

  private prepare(): Promise<BalancingSimulation> {
    this.simulation ??= (async () => {
      const batches: Float64Array[] = [];
      for (const part of splitBatches(this.source.inputs, BALANCING_BATCHES)) batches.push(await runChoiceValues(this.source.config, part, this.source.backend));
      return new BalancingSimulation(this.source.config, this.source.rule, batches, this.source.startBias);
    })();
    return this.simulation;
  }

  private async run(steps: number): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.setButtons();
    try {
      if (!this.simulation) this.status.textContent = 'Scoring the batches…';
      const simulation = await this.prepare();
      this.target = simulation.stepsDone + steps;
      while (this.running && !this.disposed && simulation.stepsDone < this.target) {
        for (let i = 0; i < STEPS_PER_FRAME && simulation.stepsDone < this.target; i++) {
          const step = simulation.step();
          this.raw.push({ step: step.step, maxOverMean: step.maxOverMean, coefficientOfVariation: step.coefficientOfVariation });
          // Batches differ, so the load swings with the batch: the curve is the mean over the last cycle of them.
          const cycle = this.raw.slice(-BALANCING_BATCHES);
          this.points.push({ step: step.step, maxOverMean: mean(cycle.map((p) => p.maxOverMean)), coefficientOfVariation: mean(cycle.map((p) => p.coefficientOfVariation)) });
          this.bias = step.bias;
        }
        this.draw();
        this.publish();
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    } catch (error) {
      this.status.textContent = `Could not simulate: ${String((error as Error)?.message ?? error)}`;
    } finally {
      this.running = false;
      if (!this.disposed) {
        this.setButtons();
        if (this.points.length > 0) this.draw();
      }
    }
  }

  private setButtons(): void {
    for (const [button, off] of [[this.runButton, this.running], [this.stepButton, this.running], [this.resetButton, this.running], [this.pauseButton, !this.running]] as const) {
      if (off) button.setAttribute('disabled', '');
      else button.removeAttribute('disabled');
    }
  }

  private draw(): void {
    const last = this.points.at(-1);
    if (last) {
      const first = this.points[0]!;
      this.status.textContent = `Step ${last.step}: max/mean ${last.maxOverMean.toFixed(2)} and CV ${last.coefficientOfVariation.toFixed(3)} over the last ${Math.min(BALANCING_BATCHES, this.raw.length)} steps (step 1: ${first.maxOverMean.toFixed(2)})${this.running ? ' · running…' : ''}`;
    }
    this.curveHost.replaceChildren(renderBalancingCurve(this.points, { width: this.curveHost.clientWidth, plannedSteps: Math.max(this.target, RUN_STEPS) }));
    this.biasHost.replaceChildren(renderBiasBars(this.bias ?? this.source.startBias ?? new Float64Array(this.source.config.experts), { width: this.biasHost.clientWidth }));
  }

  /** For tests and the e2e suite: the steps taken and the latest balance (that step's own). */
  private publish(): void {
    const app = document.getElementById('app')!;
    const last = this.raw.at(-1);
    app.dataset.balanceSteps = String(last?.step ?? 0);
    app.dataset.balanceRatio = last ? String(last.maxOverMean) : '';
    app.dataset.balanceFirstRatio = this.raw[0] ? String(this.raw[0].maxOverMean) : '';
    app.dataset.balanceBias = this.bias ? JSON.stringify(Array.from(this.bias)) : '';
  }
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * The host's side of the analysis worker: it mirrors the workspace's texts into the worker, sends one
 * request at a time, and enforces the budget. A request that runs past its time, or a worker that runs out
 * of its memory, ends the worker; that request's file gets one sentence saying why, a fresh worker takes the
 * queue, and the same text is not tried again. The extension host's thread never runs the engine.
 *
 * No `vscode` import: the unit tests drive this class with the built worker (test/extension/analysis-client.test.ts).
 */
import { Worker } from 'node:worker_threads';
import type { AnalysisAnswer, AnalysisRequest, HostToWorker, WorkerToHost } from './protocol';

export interface AnalysisBudget {
  /** Wall time one request may take in the worker. */
  readonly timeMs: number;
  /** The worker's heap (V8 old generation), in MB. */
  readonly memoryMb: number;
}

export type Outcome<A extends AnalysisAnswer> =
  | { readonly status: 'answered'; readonly answer: A }
  /** Ended by the budget or a failure; `reason` is a sentence for the user. */
  | { readonly status: 'stopped'; readonly reason: string }
  /** A newer request for the same file took its place before it ran. */
  | { readonly status: 'superseded' };

type AnswerOf<R extends AnalysisRequest> = Extract<AnalysisAnswer, { kind: R['kind'] }>;

interface Pending {
  readonly id: number;
  readonly request: AnalysisRequest;
  /** A file the user is looking at: it goes before files that are only open. */
  readonly urgent: boolean;
  readonly resolve: (outcome: Outcome<AnalysisAnswer>) => void;
}

/** A fresh worker loads the engine before its first answer; that time is not the file's. */
const STARTUP_ALLOWANCE_MS = 2000;

export class AnalysisClient {
  private worker: Worker | undefined;
  private fresh = false;
  private readonly texts = new Map<string, string>();
  private readonly queue: Pending[] = [];
  private inFlight: { pending: Pending; timer: ReturnType<typeof setTimeout>; started: number } | undefined;
  private nextId = 1;
  /** The text of each file whose analysis ran over budget, and why: not analysed again until it changes. */
  private readonly overBudget = new Map<string, { text: string; reason: string }>();
  private disposed = false;
  /** Workers started so far (the first, then one per budget overrun or failure). */
  workersStarted = 0;

  constructor(
    private readonly script: string,
    private budget: AnalysisBudget,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  setBudget(budget: AnalysisBudget): void {
    const memoryChanged = budget.memoryMb !== this.budget.memoryMb;
    // A larger budget may now be enough for a file that ran over the old one.
    if (budget.timeMs > this.budget.timeMs || budget.memoryMb > this.budget.memoryMb) this.overBudget.clear();
    this.budget = budget;
    if (memoryChanged && !this.inFlight) this.endWorker();
  }

  setText(file: string, text: string): void {
    this.texts.set(file, text);
    this.post({ type: 'setText', file, text });
  }

  deleteFile(file: string): void {
    this.texts.delete(file);
    this.post({ type: 'deleteFile', file });
  }

  request<R extends AnalysisRequest>(request: R, { urgent = false } = {}): Promise<Outcome<AnswerOf<R>>> {
    if (this.disposed) return Promise.resolve({ status: 'stopped', reason: 'MoE Lens is shutting down' });
    const known = this.overBudget.get(request.file);
    if (known && known.text === request.text) return Promise.resolve({ status: 'stopped', reason: known.reason });
    // Only the newest lint of a file is worth running.
    if (request.kind === 'lint') {
      for (let i = this.queue.length - 1; i >= 0; i--) {
        const queued = this.queue[i]!;
        if (queued.request.kind === 'lint' && queued.request.file === request.file) {
          this.queue.splice(i, 1);
          queued.resolve({ status: 'superseded' });
        }
      }
    }
    return new Promise((resolve) => {
      const pending: Pending = { id: this.nextId++, request, urgent, resolve: resolve as Pending['resolve'] };
      const firstCalm = urgent ? this.queue.findIndex((p) => !p.urgent) : -1;
      if (firstCalm >= 0) this.queue.splice(firstCalm, 0, pending);
      else this.queue.push(pending);
      // Starting a worker (a thread, and every workspace text posted to it) took 50 ms of the host's thread on a
      // fresh machine: it runs in a task of its own, not inside the caller's (an edit's lint).
      if (this.worker) this.pump();
      else setImmediate(() => this.pump());
    });
  }

  dispose(): void {
    this.disposed = true;
    for (const pending of this.queue.splice(0)) pending.resolve({ status: 'stopped', reason: 'MoE Lens is shutting down' });
    if (this.inFlight) {
      clearTimeout(this.inFlight.timer);
      this.inFlight.pending.resolve({ status: 'stopped', reason: 'MoE Lens is shutting down' });
      this.inFlight = undefined;
    }
    this.endWorker();
  }

  private pump(): void {
    if (this.inFlight || this.disposed) return;
    const pending = this.queue.shift();
    if (!pending) return;
    const worker = this.ensureWorker();
    const allowance = this.fresh ? STARTUP_ALLOWANCE_MS : 0;
    this.fresh = false;
    const timer = setTimeout(() => this.stop(`MoE Lens stopped analysing this file after ${this.budget.timeMs} ms (moeLens.lint.timeBudgetMs)`), this.budget.timeMs + allowance);
    this.inFlight = { pending, timer, started: Date.now() };
    worker.postMessage({ type: 'request', id: pending.id, request: pending.request } satisfies HostToWorker);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script, { resourceLimits: { maxOldGenerationSizeMb: this.budget.memoryMb, maxYoungGenerationSizeMb: 32 } });
    this.worker = worker;
    this.fresh = true;
    this.workersStarted++;
    worker.on('message', (message: WorkerToHost) => this.received(worker, message));
    worker.on('error', (error: Error & { code?: string }) => {
      if (worker !== this.worker) return;
      const reason =
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `MoE Lens stopped analysing this file: it needed more than ${this.budget.memoryMb} MB (moeLens.lint.memoryBudgetMb)`
          : `MoE Lens could not analyse this file: its analysis worker failed (${error.message})`;
      this.log(`analysis worker: ${error.code ?? ''} ${error.message}`);
      this.stop(reason);
    });
    worker.on('exit', (code) => {
      if (worker !== this.worker) return;
      this.log(`analysis worker exited with code ${code}`);
      this.stop(`MoE Lens could not analyse this file: its analysis worker exited (code ${code})`);
    });
    if (this.texts.size > 0) worker.postMessage({ type: 'setTexts', texts: [...this.texts] } satisfies HostToWorker);
    return worker;
  }

  private received(worker: Worker, message: WorkerToHost): void {
    if (worker !== this.worker || !this.inFlight || this.inFlight.pending.id !== message.id) return;
    const { pending, timer } = this.inFlight;
    clearTimeout(timer);
    this.inFlight = undefined;
    if (message.type === 'answer') pending.resolve({ status: 'answered', answer: message.answer });
    else {
      this.log(`analysis failed for ${pending.request.file}: ${message.error}`);
      pending.resolve({ status: 'stopped', reason: 'MoE Lens could not analyse this file (an internal error; see the MoE Lens output channel)' });
    }
    this.pump();
  }

  /** Ends the running request with a reason, and the worker with it; the queue moves to a fresh worker. */
  private stop(reason: string): void {
    const current = this.inFlight;
    this.inFlight = undefined;
    this.endWorker();
    if (current) {
      clearTimeout(current.timer);
      this.log(`analysis of ${current.pending.request.file} stopped after ${Date.now() - current.started} ms: ${reason}`);
      this.overBudget.set(current.pending.request.file, { text: current.pending.request.text, reason });
      current.pending.resolve({ status: 'stopped', reason });
    }
    this.pump();
  }

  private endWorker(): void {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) void worker.terminate();
  }

  private post(message: HostToWorker): void {
    this.worker?.postMessage(message);
  }
}

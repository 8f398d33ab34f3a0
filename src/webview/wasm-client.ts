/**
 * The panel's side of its ORT worker (wasm-worker.ts): WASM sessions and runs, answered off the panel's thread.
 *
 * A worker in a VS Code webview cannot load the webview's resources: `new Worker(url)` refuses the resource origin,
 * and a worker's own requests to it are not served (microsoft/vscode#315494: they hang, then fail). So the panel
 * starts the worker from a blob of its script, which the panel's bundle holds as text (fetching it first waited
 * ~0.15 s behind the panel's own work), and fetches ORT's WebAssembly for it into a blob (the CSP allows
 * `worker-src blob:` and `connect-src blob:`). Where the worker cannot start or dies, every request
 * still waiting and every later one is answered on the panel's thread by the same module, imported: slower, never
 * a failed run.
 */
import type { OnnxRouterResult, PreparedRouter } from '../core/router/onnx-session';
import type { RouterInputs } from '../core/router/cpu-router';
import type { WasmInputs, WasmRequest, WasmResponse, WasmSession } from './wasm-protocol';
import workerSource from 'ort-worker-source';

type Request = Exclude<WasmRequest, { kind: 'start' }>;
interface WorkerModule {
  useFiles(ortBase: string): void;
  answer(request: Request): Promise<WasmResponse>;
}

/** Where runs are answered: shown to tests as data-ort-thread. */
export type OrtThread = 'worker' | 'panel';

interface Pending {
  readonly id: number;
  readonly session: WasmSession;
  /** A run's arrays, the caller's own: copied when posted (the copies are transferred), kept for a retry here. */
  readonly inputs?: RouterInputs;
  readonly settle: (response: WasmResponse) => void;
}

const float32 = (values: ArrayLike<number>, fresh: boolean): Float32Array =>
  values instanceof Float32Array ? (fresh ? values.slice() : values) : Float32Array.from(values);

/**
 * A run's arrays as Float32Arrays; `fresh`: each with a buffer of its own, to be transferred (posting a view of the
 * panel's drawn tokens would copy its whole buffer, and transferring it would take the tokens from the panel).
 */
function wasmInputs(inputs: RouterInputs, fresh: boolean): WasmInputs {
  const optional = (name: 'gateBias' | 'selectionBias' | 'tokenScale' | 'expertScale') => {
    const values = inputs[name];
    return values === undefined ? {} : { [name]: float32(values, fresh) };
  };
  return {
    tokens: inputs.tokens,
    hidden: inputs.hidden,
    hiddenStates: float32(inputs.hiddenStates, fresh),
    gateWeight: float32(inputs.gateWeight, fresh),
    ...optional('gateBias'),
    ...optional('selectionBias'),
    ...optional('tokenScale'),
    ...optional('expertScale'),
  };
}

function request(pending: Pending, fresh: boolean): Request {
  const { id, session, inputs } = pending;
  return inputs ? { kind: 'run', id, session, inputs: wasmInputs(inputs, fresh) } : { kind: 'prepare', id, session };
}

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

export class WasmClient {
  /** The worker, from its creation until it fails. */
  private worker: Worker | undefined;
  private started = false;
  private failed = false;
  /** Why requests are answered on the panel's thread, once they are. */
  failure: string | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private inPage: Promise<WorkerModule> | undefined;
  /** The worker's script and ORT's WebAssembly, as blob URLs, until the worker's first answer. */
  private readonly blobs: string[] = [];

  /** `scriptUrl`: dist/webview/wasm-worker.js, imported where no worker starts; `ortBase`: where ORT's files are (ends with "/"). */
  constructor(
    private readonly scriptUrl: string,
    private readonly ortBase: string,
  ) {}

  /** Where requests are answered now. */
  get thread(): OrtThread {
    return this.failed ? 'panel' : 'worker';
  }

  /** Starts the worker (once), and the fetch of ORT's WebAssembly for it. */
  start(): void {
    if (this.started || this.failed) return;
    this.started = true;
    let worker: Worker;
    try {
      const script = URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' }));
      this.blobs.push(script);
      worker = new Worker(script, { type: 'module', name: 'moe-lens-ort' });
    } catch (error) {
      this.fail(`it could not be created (${String(error)})`);
      return;
    }
    const failed = (why: string): void => {
      worker.terminate();
      this.fail(why);
    };
    worker.addEventListener('message', (event: MessageEvent<WasmResponse>) => this.settle(event.data));
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      failed(`it failed${event.message ? `: ${event.message}` : ' to start'}`);
    });
    worker.addEventListener('messageerror', () => failed('a message could not be read'));
    this.worker = worker;
    for (const pending of this.pending.values()) this.post(pending);
    // A blob: its bytes stay out of this thread's heap, and the worker's fetch of its URL compiles as it reads.
    void fetchOk(`${this.ortBase}ort-wasm-simd-threaded.wasm`)
      .then(async (response) => URL.createObjectURL(new Blob([await response.blob()], { type: 'application/wasm' })))
      .then(
        (wasmUrl) => {
          this.blobs.push(wasmUrl);
          const start: WasmRequest = { kind: 'start', wasmUrl };
          this.worker?.postMessage(start);
        },
        (error: unknown) => failed(`ORT's WebAssembly could not be fetched (${error instanceof Error ? error.message : String(error)})`),
      );
  }

  /** A session, started where requests are answered; its runs go there too. */
  async prepare(session: WasmSession): Promise<PreparedRouter> {
    await this.ask(session);
    return {
      run: async (inputs: RouterInputs): Promise<OnnxRouterResult> => {
        const response = await this.ask(session, inputs);
        if (response.kind !== 'ran') throw new Error('onnxruntime-web answered a run without its result');
        return response.result;
      },
      release: async () => undefined, // sessions live as long as the panel (runner.ts caches them)
    };
  }

  private ask(session: WasmSession, inputs?: RouterInputs): Promise<WasmResponse> {
    return new Promise<WasmResponse>((resolve, reject) => {
      const pending: Pending = {
        id: this.nextId++,
        session,
        ...(inputs ? { inputs } : {}),
        settle: (response) => (response.kind === 'failed' ? reject(new Error(response.message)) : resolve(response)),
      };
      if (this.failed) {
        void this.answerInPage(pending);
        return;
      }
      this.pending.set(pending.id, pending);
      if (this.worker) this.post(pending);
      else this.start(); // posts all that is pending once the worker exists
    });
  }

  private post(pending: Pending): void {
    const message = request(pending, true);
    const transfer = message.kind === 'run' ? Object.values(message.inputs).filter((value): value is Float32Array => value instanceof Float32Array).map((array) => array.buffer) : [];
    this.worker!.postMessage(message, transfer);
  }

  private settle(response: WasmResponse): void {
    // The first answer comes once ORT has read its WebAssembly: the blobs (14 MB) are no longer needed.
    for (const url of this.blobs.splice(0)) URL.revokeObjectURL(url);
    const pending = this.pending.get(response.id);
    if (!pending) return;
    this.pending.delete(response.id);
    pending.settle(response);
  }

  /** The worker could not start or died: what it had not answered, and all that follows, is answered here. */
  private fail(why: string): void {
    if (this.failed) return;
    this.failed = true;
    this.failure = `The ORT worker is not used: ${why}.`;
    this.worker?.terminate();
    this.worker = undefined;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const pending of waiting) void this.answerInPage(pending);
  }

  private async answerInPage(pending: Pending): Promise<void> {
    try {
      this.inPage ??= (import(this.scriptUrl) as Promise<WorkerModule>).then((module) => {
        module.useFiles(this.ortBase);
        return module;
      });
      pending.settle(await (await this.inPage).answer(request(pending, false)));
    } catch (error) {
      pending.settle({ kind: 'failed', id: pending.id, message: `onnxruntime-web could not start: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
}

/**
 * The panel's first module: where WASM runs will go, ONNX Runtime starts in its worker now (wasm-client.ts), while
 * the rest of the panel evaluates and the host analyses the config. ORT's files are named in the page.
 */
import { loadState } from './host';
import { configureOrt, warmUp } from './runner';
import { DEFAULTS, type Controls } from './state';

const app = document.getElementById('app');
if (app?.dataset.ortBase) {
  configureOrt(app.dataset.ortBase);
  app.dataset.ortWarmUpAt = String(performance.now()); // tests check that ORT starts before the config comes
  void warmUp(loadState<Controls>().backend ?? DEFAULTS.backend);
}

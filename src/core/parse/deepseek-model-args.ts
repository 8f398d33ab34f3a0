/**
 * DeepSeek's inference code builds its model with `ModelArgs(**json.load(f))` (deepseek-ai/DeepSeek-V3
 * inference/generate.py): every key of its config JSON must be a field of the `ModelArgs` dataclass beside it,
 * or Python raises TypeError. Which `ModelArgs` reads a JSON is known only where the checkout holds it
 * (`inference/configs/x.json` → `inference/model.py`); versions differ (V3.2 adds fields), so it is never assumed.
 */
import type { RouterSpec, UnknownKey } from '../model/router-spec';
import { foldersAbove } from '../text/paths';
import { PythonEvaluator } from './python/evaluate';
import type { PythonProject } from './torchtitan-python';

/** The `model.py` a DeepSeek inference config is read by: beside `configs/`, or beside the JSON. */
function modelFileFor(file: string): string[] {
  // Folder prefixes (`inference/configs/`, `inference/`; '' for the current folder of a bare relative name).
  const [own = '', parent] = foldersAbove(file, 2);
  return /(^|\/)configs\/$/.test(own) && parent !== undefined ? [`${parent}model.py`, `${own}model.py`] : [`${own}model.py`];
}

/** The fields `ModelArgs` takes, from the checkout's own model.py; undefined when it is not there or not exact. */
export function deepseekModelArgsFields(file: string, project: PythonProject): { readonly file: string; readonly fields: ReadonlySet<string> } | undefined {
  for (const candidate of modelFileFor(file)) {
    if (!project.hasModule(candidate)) continue;
    const evaluator = new PythonEvaluator({ has: (f) => project.hasModule(f), parse: (f) => project.parsedModule(f) });
    const scope = evaluator.module(candidate);
    if (!scope) continue;
    const value = evaluator.moduleName(scope, 'ModelArgs');
    if (value.kind !== 'class') continue;
    const fields = evaluator.acceptedKeywords(value.cls);
    if (fields) return { file: candidate, fields };
  }
  return undefined;
}

/** A DeepSeek inference config's keys that its `ModelArgs` rejects (replacing the near-miss guesses for them). */
export function withModelArgsCheck(spec: RouterSpec, topLevelKeys: readonly { key: string; keyRange: UnknownKey['keyRange'] }[], modelArgs: { readonly file: string; readonly fields: ReadonlySet<string> }): RouterSpec {
  const accepted = [...modelArgs.fields];
  const rejected: UnknownKey[] = topLevelKeys
    .filter((k) => !modelArgs.fields.has(k.key))
    .map((k) => ({ key: k.key, keyRange: k.keyRange, owner: `ModelArgs (${modelArgs.file.slice(modelArgs.file.lastIndexOf('/', modelArgs.file.lastIndexOf('/') - 1) + 1)})`, accepted, effect: 'rejected' }));
  return { ...spec, unknownKeys: rejected };
}

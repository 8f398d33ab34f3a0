/** Picks a dialect for a file and runs its parser. Parsers never throw; anything odd becomes a located note. */
import { fileFormat } from './model/file-format';
import { isDeepSeekOfficial, type Dialect, type RouterSpec } from './model/router-spec';
import { analyzeDeepseekLaunch, looksLikeDeepseekLaunch } from './parse/deepseek-launch';
import { deepseekModelArgsFields, withModelArgsCheck } from './parse/deepseek-model-args';
import { analyzeHfJson, looksLikeMoeJson } from './parse/hf-json';
import { analyzeMegatronArgs, analyzeMegatronYaml, looksLikeMegatron } from './parse/megatron';
import { withPaiRouters } from './parse/pai-megatron-patch';
import { launchedPrograms, programWithOwnMoeFlags } from './parse/launched-program';
import { flagStringLaunches, mayHoldFlagStrings } from './parse/python-flag-strings';
import { analyzeMegatronBridgeYaml, looksLikeMegatronBridge } from './parse/megatron-bridge';
import type { PythonDeclarations } from './parse/python/declarations';
import { MAX_BRACKET_DEPTH, type ParsedPython } from './parse/python/syntax';
import { firstNestedDeeper } from './text/brackets';
import { analyzeTorchtitanPython } from './parse/torchtitan-python';
import { analyzeTorchtitanToml, looksLikeTorchtitanJob } from './parse/torchtitan-toml';
import type { ProjectIndex } from './project';
import type { SourceRange } from './text/source';

export interface ParseNote {
  readonly range: SourceRange;
  /** What MoE Lens could not do, short enough for a Problems row (issue #12). */
  readonly message: string;
  /** Why, and what to do about it: the hover, `--format json`, SARIF. */
  readonly detail?: string;
}

export interface DocumentAnalysis {
  readonly dialect: Dialect | undefined;
  readonly specs: RouterSpec[];
  readonly declarations?: PythonDeclarations;
  readonly python?: ParsedPython;
  readonly notes: ParseNote[];
}

const EMPTY: DocumentAnalysis = { dialect: undefined, specs: [], notes: [] };

/** The note on a syntax error in a config MoE Lens still read: the parser's words, and that the read may be partial. */
function readInPart(error: { readonly range: SourceRange; readonly message: string }): ParseNote {
  const both = `${error.message}; the MoE config may be read only in part.`;
  // A Problems row holds 100 characters (issue #12): a long parser message keeps its words, the consequence goes below.
  return both.length <= 100 ? { range: error.range, message: both } : { range: error.range, message: `${error.message}.`, detail: 'The MoE config may be read only in part.' };
}

/**
 * A workspace Python module's text, for the Megatron checkout above a config (its router.py is looked for in every
 * folder above each config: a module read, and a miss remembered, once per project, not one disk read per config).
 */
function moduleReader(project: ProjectIndex | undefined): ((path: string) => string | undefined) | undefined {
  return project && ((path) => (project.hasModule(path) ? project.textOf(path) : undefined));
}

/** Brackets a config's parser recurses on no deeper than this (outside quoted strings), for the note that says so. */
const TOO_DEEP = 1000;

export function analyzeDocument(file: string, text: string, project?: ProjectIndex, parsed?: ParsedPython): DocumentAnalysis {
  const kind = fileFormat(file);
  try {
    if (kind === 'python') {
      const result = analyzeTorchtitanPython(text, file, project, parsed);
      const notes: ParseNote[] = [];
      const firstError = result.parsed.errorRanges[0];
      if (result.parsed.tooDeep && firstError) {
        notes.push({ range: firstError, message: `MoE Lens did not analyse this file: brackets nest deeper than ${MAX_BRACKET_DEPTH} levels here.` });
        return { dialect: 'torchtitan-python', specs: [], declarations: result.declarations, python: result.parsed, notes };
      }
      // Syntax errors are the Python extension's business; we only say when they may hide a config.
      if (firstError && (result.specs.length > 0 || text.includes('MoEArgs') || text.includes('top_k'))) {
        notes.push({
          range: firstError,
          message: 'MoE Lens could not parse this Python here; configs in the part it could not read are not checked.',
          detail: 'A syntax error, or syntax that its parser (the Lezer Python grammar) does not read.',
        });
      }
      // Megatron flags in Python strings (miles' `scripts/models/*.py`), read as the launch words they become.
      const launches = result.specs.length === 0 && mayHoldFlagStrings(text) ? flagStringLaunches(result.parsed) : [];
      if (launches.length > 0) {
        const module = moduleReader(project);
        // A fix may not add a flag: the end of the last word may be inside an f-string's expression.
        const specs = launches.flatMap((launch) => analyzeMegatronArgs(launch.text, file, module).specs.map((spec) => ({ ...spec, ...(launch.name ? { name: launch.name } : {}), insertion: undefined })));
        if (specs.length > 0) return { dialect: 'megatron-args', specs, declarations: result.declarations, python: result.parsed, notes };
      }
      return { dialect: 'torchtitan-python', specs: result.specs, declarations: result.declarations, python: result.parsed, notes };
    }
    if (kind === 'toml') {
      if (!looksLikeTorchtitanJob(text)) return EMPTY;
      const result = analyzeTorchtitanToml(text, file, project);
      return { dialect: 'torchtitan-toml', specs: result.specs, notes: result.notes };
    }
    if (kind === 'json') {
      if (!looksLikeMoeJson(text)) return EMPTY;
      const result = analyzeHfJson(text, file);
      // DeepSeek's own inference configs: checked against the `ModelArgs` the checkout builds them with.
      const modelArgs = project && result.specs.some((s) => isDeepSeekOfficial(s.framework)) ? deepseekModelArgsFields(file, project) : undefined;
      const specs = modelArgs ? result.specs.map((s) => (isDeepSeekOfficial(s.framework) ? withModelArgsCheck(s, s.sites, modelArgs) : s)) : result.specs;
      const dialect = specs[0]?.dialect ?? 'hf-json';
      const notes = result.errors.slice(0, 1).map(readInPart);
      if (result.pythonRefuses && specs.length > 0) notes.push({ range: result.pythonRefuses.range, message: `${result.pythonRefuses.message}.`, detail: result.pythonRefuses.detail });
      return { dialect, specs, notes };
    }
    if (kind === 'yaml' || kind === 'shell') {
      // A Megatron-Bridge ConfigContainer YAML (top-level `model:`, `comm_overlap:`, …); anything else as Megatron-LM's.
      const bridge = kind === 'yaml' && looksLikeMegatronBridge(text) ? analyzeMegatronBridgeYaml(text, file) : undefined;
      if (bridge) return { dialect: 'megatron-yaml', specs: bridge.specs, notes: bridge.specs.length > 0 ? bridge.errors.slice(0, 1).map(readInPart) : [] };
      // A Primus model YAML may take every MoE value from the bases it `extends:` (mixtral_8x7B_v0.1.yaml).
      const extendsBases = kind === 'yaml' && /^extends\s*:/m.test(text);
      // A Primus experiment's Megatron module may take every MoE value from the model preset it names.
      const primusExperiment = kind === 'yaml' && /^\s+framework:\s*megatron\s*(#.*)?$/m.test(text) && /^\s+model:\s*\S/m.test(text);
      if (!looksLikeMegatron(text) && !extendsBases && !primusExperiment) {
        // A script that runs DeepSeek-V3's own convert.py / generate.py (its README's launch), not Megatron.
        if (kind !== 'shell' || !looksLikeDeepseekLaunch(text)) return EMPTY;
        const launch = analyzeDeepseekLaunch(text, file, project && ((path) => project.relatedText(path)));
        return launch.specs.length > 0 ? { dialect: 'deepseek-launch', specs: launch.specs, notes: [] } : EMPTY;
      }
      // The programs a shell script runs, found once: a program of its own that parses the same flag names is no
      // Megatron launch (DeepSpeedExamples' cifar MoE); one of Pai-Megatron-Patch's may route with the fork's router.
      const programs = kind === 'shell' && project ? launchedPrograms(text, file) : [];
      if (kind === 'shell' && project && programWithOwnMoeFlags(text, file, (path) => project.relatedText(path), programs) !== undefined) return EMPTY;
      const module = moduleReader(project);
      const result = kind === 'yaml' ? analyzeMegatronYaml(text, file, project && ((base) => project.relatedText(base)), module) : analyzeMegatronArgs(text, file, module);
      const dialect = kind === 'yaml' ? 'megatron-yaml' : 'megatron-args';
      const notes = result.specs.length > 0 ? result.errors.slice(0, 1).map(readInPart) : [];
      const specs = kind === 'shell' && project ? withPaiRouters(result.specs, text, file, (path) => project.relatedText(path), programs) : result.specs;
      return { dialect, specs: [...specs], notes };
    }
  } catch (error) {
    // A parser's recursion that ran out of stack: the file nests deeper than any config does (issue #14).
    if (error instanceof RangeError) {
      const at = firstNestedDeeper(text, TOO_DEEP - 1, true) ?? 0;
      return { dialect: undefined, specs: [], notes: [{ range: { start: at, end: at }, message: `MoE Lens did not analyse this file: it nests too deeply to read${at > 0 ? ` (${TOO_DEEP} brackets deep here)` : ''}.` }] };
    }
    return {
      dialect: undefined,
      specs: [],
      notes: [{ range: { start: 0, end: 0 }, message: `MoE Lens could not analyse this file: ${String((error as Error)?.message ?? error)}` }],
    };
  }
  return EMPTY;
}

/**
 * `moe-lens inspect [paths...] [--format stylish|json]`: what MoE Lens understood of each config — its name and
 * place, the published model it was recognised as, and every routing field with its value and provenance.
 */
import { analyzeDocument } from '../../core/analyze';
import { fileFormat } from '../../core/model/file-format';
import { formatBytes, parametersSentence } from '../../core/model/parameters';
import { INSPECTED_FIELDS, reportConfig, type ConfigReport } from '../../core/inspect';
import { ProjectIndex } from '../../core/project';
import { LineIndex } from '../../core/text/source';
import { diskModuleLoader, displayPath, displayText, findFiles, readText } from '../files';
import { printable } from '../formats/stylish';
import type { CommandResult } from '../command-result';

export interface InspectArguments {
  readonly paths: readonly string[];
  readonly format: 'stylish' | 'json';
  readonly maxFileSize: number;
}

export interface FileInspection {
  readonly filePath: string;
  readonly configs: ConfigReport[];
  /** Why a file that looks like an MoE config yielded no config. */
  readonly note?: string;
}

/** Words that make a file look like it configures MoE routing, so "understood nothing" is worth saying. */
const MOE_WORDS = /num_experts|num_local_experts|n_routed_experts|moe_router_topk|num-experts|experts_per_tok|moe_top_k|num_selected_experts|moe_num_experts/i;

export function inspectFiles(paths: readonly string[], maxFileSize: number): { results: FileInspection[]; errors: string[] } {
  const found = findFiles(paths.length > 0 ? paths : ['.']);
  const errors = [...found.errors];
  const texts = new Map<string, string>();
  for (const file of found.files) {
    const read = readText(file);
    if (read.text === undefined) errors.push(read.error!);
    else if (read.text.length <= maxFileSize) texts.set(file, read.text);
  }
  const project = new ProjectIndex(diskModuleLoader(maxFileSize));
  for (const [file, text] of texts) if (fileFormat(file) === 'python') project.setText(file, text);
  const lineIndexes = new Map<string, LineIndex>();
  const linesOf = (file: string): LineIndex | undefined => {
    const text = project.textOf(file) ?? texts.get(file);
    if (text === undefined) return undefined;
    let index = lineIndexes.get(file);
    if (!index) lineIndexes.set(file, (index = new LineIndex(text)));
    return index;
  };
  const results: FileInspection[] = [];
  for (const [file, text] of texts) {
    const analysis = analyzeDocument(file, text, project, fileFormat(file) === 'python' ? project.parsedModule(file) : undefined);
    const lines = linesOf(file) ?? new LineIndex(text);
    const configs = analysis.specs.map((spec) => reportConfig(spec, file, lines, linesOf));
    if (configs.length > 0) results.push({ filePath: file, configs });
    else if (MOE_WORDS.test(text)) {
      const why = analysis.notes[0]?.message ?? 'it names MoE settings, but MoE Lens found no router config it understands in it';
      results.push({ filePath: file, configs: [], note: why });
    }
  }
  return { results, errors };
}

function formatStylish(results: readonly FileInspection[]): string {
  const out: string[] = [];
  for (const result of results) {
    out.push(printable(displayPath(result.filePath)));
    if (result.note) out.push(`  (no config) ${printable(displayText(result.note))}`);
    for (const config of result.configs) {
      out.push(`  ${printable(config.name)}  ${config.line}:${config.column}  ${config.framework}${config.model ? `  recognised as ${config.model}` : ''}`);
      for (const name of INSPECTED_FIELDS) {
        const field = config.fields[name];
        const value = field.value === null ? (field.source === 'unknown' ? '?' : 'None') : typeof field.value === 'string' ? JSON.stringify(field.value) : String(field.value);
        // Where it is written, and as what where the file spells it otherwise (`num_experts_per_tok` for top_k).
        const where = field.line !== undefined ? `${field.file ? `${displayPath(field.file)}:` : ''}${field.line}:${field.column}${field.key ? ` as ${field.key}` : ''}` : '';
        out.push(printable(`    ${name.padEnd(19)} ${value.padEnd(10)} ${field.source.padEnd(9)} ${where}${field.detail ? `${where ? '  ' : ''}${displayText(field.detail)}` : ''}`.trimEnd()));
      }
      for (const note of config.notes ?? []) out.push(printable(`    note: ${displayText(note)}`));
      const p = config.parameters;
      if (p) {
        out.push(printable(`    parameters: ${parametersSentence(p)}`));
        if (p.expertBytesPerRank !== undefined) out.push(printable(`    expert weights per expert-parallel rank: ${formatBytes(p.expertBytesPerRank)} in ${p.expertBytesDtype ?? ''}`));
      } else if (config.parametersUnknown) {
        out.push(printable(`    parameters: not counted (${config.parametersUnknown})`));
      }
    }
    out.push('');
  }
  return out.join('\n');
}

export function runInspect(args: InspectArguments): CommandResult {
  const { results, errors } = inspectFiles(args.paths, args.maxFileSize);
  const stdout = args.format === 'json' ? JSON.stringify(results, null, 2) : formatStylish(results);
  return { stdout, stderr: errors.join('\n'), exitCode: errors.length > 0 ? 2 : 0 };
}

/** `moe-lens lint [paths...] [--format stylish|json|sarif] [--fix] [--rule CODE=severity]`. */
import { writeFileSync } from 'node:fs';
import { fixAll, lintText, type LintOptions } from '../../core/lint';
import { ProjectIndex } from '../../core/project';
import type { SeveritySetting } from '../../core/rules/types';
import { fileFormat } from '../../core/model/file-format';
import { diskModuleLoader, findFiles, readText } from '../files';
import { formatJson } from '../formats/json';
import { formatSarif } from '../formats/sarif';
import { formatStylish } from '../formats/stylish';
import { countBySeverity, type FileResult } from '../formats/types';
import type { CommandResult } from '../command-result';

export interface LintArguments {
  readonly paths: readonly string[];
  readonly format: 'stylish' | 'json' | 'sarif';
  readonly fix: boolean;
  readonly severities: Record<string, SeveritySetting>;
  readonly color: boolean;
  readonly version: string;
  readonly maxFileSize: number;
  /** Stylish output: each problem's detail on the lines under it. */
  readonly details?: boolean;
}

export function runLint(args: LintArguments): CommandResult {
  const found = findFiles(args.paths.length > 0 ? args.paths : ['.']);
  const texts = new Map<string, string>();
  const withBom = new Set<string>();
  const ioErrors = [...found.errors];
  for (const file of found.files) {
    const read = readText(file);
    if (read.text !== undefined) texts.set(file, read.text);
    else ioErrors.push(read.error!);
    if (read.bom) withBom.add(file);
  }

  // Pass 1: every Python file is known to the project (parsed on first use), so an import in one file is
  // followed into another; a module outside the linted paths is read from disk when an import names it.
  const project = new ProjectIndex(diskModuleLoader(args.maxFileSize));
  for (const [file, text] of texts) {
    if (fileFormat(file) === 'python' && text.length <= args.maxFileSize) project.setText(file, text);
  }

  const options: LintOptions = {
    severities: args.severities,
    maxFileSize: args.maxFileSize,
    onRuleError: (rule, error) => ioErrors.push(`internal error in ${rule.code} (${rule.name}): ${String((error as Error)?.message ?? error)}`),
  };
  const results: FileResult[] = [];
  let fixedFiles = 0;
  for (const [file, original] of texts) {
    let text = original;
    if (args.fix) {
      const fixed = fixAll(file, text, project, options);
      if (fixed.text !== text) {
        try {
          writeFileSync(file, withBom.has(file) ? `\ufeff${fixed.text}` : fixed.text); // a byte-order mark stays
          text = fixed.text;
          fixedFiles++;
          if (fileFormat(file) === 'python') project.setText(file, text);
        } catch (error) {
          ioErrors.push(`${file}: cannot write fixes (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
        }
      }
    }
    const parsed = fileFormat(file) === 'python' && project.textOf(file) === text ? project.parsedModule(file) : undefined;
    const { diagnostics, lines } = lintText(file, text, project, { ...options, ...(parsed ? { parsed } : {}) });
    results.push({ file, lines, diagnostics });
  }

  const output =
    args.format === 'json' ? formatJson(results) : args.format === 'sarif' ? formatSarif(results, args.version) : formatStylish(results, args.color, args.details === true);
  const { errors } = countBySeverity(results);
  const notes = [...ioErrors];
  if (args.fix && args.format === 'stylish') notes.push(`moe-lens: fixed ${fixedFiles} file${fixedFiles === 1 ? '' : 's'}`);
  return { stdout: output, stderr: notes.join('\n'), exitCode: ioErrors.length > 0 ? 2 : errors > 0 ? 1 : 0 };
}

/**
 * The engine's one entry point for diagnostics: analyse → run every enabled rule (each isolated) →
 * drop suppressed findings. Also the one place fixes are applied (quick fix, fix-all and `--fix` share it).
 */
import { analyzeDocument, type DocumentAnalysis } from './analyze';
import type { Field, RouterSpec, Site } from './model/router-spec';
import { formatAssignment, formatValue } from './parse/format';
import type { ParsedPython } from './parse/python/syntax';
import { ProjectIndex } from './project';
import { ALL_RULES, namesOf } from './rules/index';
import type { Diagnostic, FileEdit, Fix, FixProposal, Report, Rule, RuleContext, SeveritySetting } from './rules/types';
import { findSuppressions } from './suppressions';
import { elide } from './text/elide';
import { applyEdits, LineIndex, type SourceRange } from './text/source';

export const PARSE_NOTE_CODE = 'MOE000';

export interface LintOptions {
  /** Per-code severity overrides; `off` disables a rule. */
  readonly severities?: Readonly<Record<string, SeveritySetting>>;
  /** Called once per rule failure; the other rules still run. */
  readonly onRuleError?: (rule: Rule, error: unknown) => void;
  /** Run only these rules (tests). */
  readonly rules?: readonly Rule[];
  /** Old codes and names → current ones (tests; RULE_REDIRECTS otherwise). */
  readonly redirects?: Readonly<Record<string, string>>;
  /** A parse of this very text made earlier (the CLI's project pass), to avoid parsing twice. */
  readonly parsed?: ParsedPython;
  /** Larger texts (UTF-16 code units) are not analysed; they get one information note instead. */
  readonly maxFileSize?: number;
  /** Checked between rules: once it returns true the run stops early (its result is then discarded). */
  readonly isCancelled?: () => boolean;
}

export const DEFAULT_MAX_FILE_SIZE = 2048 * 1024;
/**
 * Names of MoE settings, in the spellings of every dialect MoE Lens reads (and the expert counting MOE017 looks at):
 * what a file above the size limit must hold for its skipping to be worth a note. Not single words (`experts`,
 * `router`): a tokenizer's vocabulary holds those.
 */
const MOE_SETTING = /num_(local_)?experts|n_routed_experts|experts_per_tok|num-experts|moe[-_]router|moe_top_?k|moe_num_experts|num_selected_experts|MoEArgs|histc/;
/** Findings one rule may report in one file. */
export const MAX_REPORTS_PER_RULE = 200;

export interface LintResult {
  readonly analysis: DocumentAnalysis;
  readonly diagnostics: Diagnostic[];
  /** Offsets ↔ lines of the linted text, for surfaces that show positions. */
  readonly lines: LineIndex;
}

export function lintText(file: string, text: string, project: ProjectIndex = new ProjectIndex(), options: LintOptions = {}): LintResult {
  const limit = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  const lines = new LineIndex(text);
  if (text.length > limit) {
    // A large file that names no MoE setting (a checkpoint's tokenizer.json) holds nothing MoE Lens would read: silent.
    if (!MOE_SETTING.test(text)) return { lines, analysis: { dialect: undefined, specs: [], notes: [] }, diagnostics: [] };
    return {
      lines,
      analysis: { dialect: undefined, specs: [], notes: [] },
      diagnostics: [
        parseNote(`MoE Lens skipped this file: ${Math.round(text.length / 1024)} KB is above the ${Math.round(limit / 1024)} KB limit.`, { start: 0, end: 0 }, 'The limit is the setting moeLens.lint.maxFileSizeKb in VS Code, --max-file-size for the CLI.'),
      ],
    };
  }
  const analysis = analyzeDocument(file, text, project, options.parsed);
  const diagnostics: Diagnostic[] = analysis.notes.map((note) => parseNote(note.message, note.range, note.detail));
  // Config rules need a config (or MOE002's constructors); source rules (MOE017) read any parsed Python file.
  const hasConfigs = analysis.specs.length > 0 || (analysis.declarations?.constructors.length ?? 0) > 0;
  const rules = (options.rules ?? ALL_RULES).filter((rule) => hasConfigs || (rule.scope === 'python-source' && analysis.python !== undefined));
  if (rules.length === 0) return { analysis, diagnostics, lines };

  const commentRanges = analysis.python?.comments;
  const suppressions = findSuppressions(text, lines, commentRanges);

  // One finding per place: flavors built by one builder share its lines, and would each report the same problem.
  const seen = new Set<string>();
  for (const rule of rules) {
    if (options.isCancelled?.()) break;
    if (rule.status === 'removed') continue;
    // A user's override (by code, by name, or by an old code that redirects here) beats both the rule's default
    // and a severity the report picks; so does a suppression comment under any of those spellings.
    const names = namesOf(rule, options.redirects);
    const override = names.map((name) => options.severities?.[name]).find((setting) => setting !== undefined);
    if (override === 'off') continue;
    let reported = 0;
    const context = createContext(file, text, analysis, project, (report) => {
      const line = lines.positionAt(report.range.start).line;
      if (names.some((name) => suppressions.isSuppressed(name, line))) return;
      const message = formatMessage(rule, report);
      const identity = `${rule.code} ${report.range.start} ${report.range.end} ${message}`;
      if (seen.has(identity)) return;
      seen.add(identity);
      // A hostile file must not flood the Problems panel (or memory): past the cap, one note says so.
      if (++reported > MAX_REPORTS_PER_RULE) {
        if (reported === MAX_REPORTS_PER_RULE + 1) diagnostics.push(parseNote(`${rule.code} found more than ${MAX_REPORTS_PER_RULE} problems in this file; the rest are not shown.`, report.range, `${rule.code} is ${rule.name}.`));
        return;
      }
      diagnostics.push({
        code: rule.code,
        ruleName: rule.name,
        severity: override ?? report.severity ?? rule.defaultSeverity,
        messageId: report.messageId,
        message,
        ...(report.detail ? { detail: report.detail } : {}),
        range: report.range,
        // A fix with nothing to apply (no clean insertion point) is not offered.
        fixes: (report.fixes ?? []).filter((fix) => fix.edits.length > 0).map((fix) => toFix(rule, fix)),
        related: report.related ?? [],
      });
    });
    try {
      if (rule.check) rule.check(context);
      else for (const spec of analysis.specs) if (!rule.frameworks || rule.frameworks.includes(spec.framework)) rule.checkSpec?.(spec, context);
    } catch (error) {
      options.onRuleError?.(rule, error);
    }
  }
  diagnostics.sort((a, b) => a.range.start - b.range.start || a.code.localeCompare(b.code));
  return { analysis, diagnostics, lines };
}

/** An information note located in the file, under MOE000 (parse problems, limits, a stopped analysis). */
export function parseNote(message: string, range: SourceRange, detail?: string): Diagnostic {
  return { code: PARSE_NOTE_CODE, ruleName: 'parse-note', severity: 'info', messageId: 'parseNote', message, ...(detail ? { detail } : {}), range, fixes: [], related: [] };
}

function fillTemplate(template: string, data: Report['data']): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (data && Object.hasOwn(data, name) ? String(data[name]) : whole));
}

/** A rule's message: its template with the report's data, each value a file may make long elided (issue #12). */
function formatMessage(rule: Rule, report: Report): string {
  const data = report.data && Object.fromEntries(Object.entries(report.data).map(([name, value]) => [name, typeof value === 'string' ? elideValue(value) : value]));
  return fillTemplate(rule.messages[report.messageId] ?? report.messageId, data);
}

/** Values are placeholders' text: a code span (`` `key` ``) keeps its backticks around what is elided. */
function elideValue(value: string): string {
  const span = /^`([^`]*)`$/.exec(value);
  return span ? `\`${elide(span[1]!)}\`` : !/\s/.test(value) ? elide(value) : value;
}

/** A proposal becomes a fix with the title and safety its rule declares (metadata, never chosen in `check`). */
function toFix(rule: Rule, proposal: FixProposal): Fix {
  const kind = rule.fix.kinds && Object.hasOwn(rule.fix.kinds, proposal.kind) ? rule.fix.kinds[proposal.kind] : undefined;
  if (!kind) throw new Error(`${rule.code} proposes a fix of kind "${proposal.kind}", which its metadata does not declare`);
  return { title: fillTemplate(kind.title, proposal.data), edits: proposal.edits, safety: kind.safety, ...(proposal.preferred ? { preferred: true } : {}) };
}

function createContext(
  file: string,
  text: string,
  analysis: DocumentAnalysis,
  project: ProjectIndex,
  report: (report: Report) => void,
): RuleContext {
  const dialect = analysis.dialect;
  const format = (value: unknown): string => formatValue(dialect, value);
  // A value written in another file (an imported builder) is not edited from here: the fix is not offered.
  const replaceSites = (sites: readonly Site[], value: unknown): FileEdit[] =>
    sites.some((site) => site.file !== undefined) ? [] : sites.map((site) => ({ range: site.valueRange, newText: format(value) }));
  return {
    file,
    text,
    dialect,
    specs: analysis.specs,
    declarations: analysis.declarations,
    ...(analysis.python ? { python: analysis.python } : {}),
    project,
    report,
    formatValue: format,
    replaceSites,
    setField(spec: RouterSpec, field: Field<unknown>, keyIfMissing: string, value: unknown): FileEdit[] {
      if (field.sites.length > 0) return replaceSites(field.sites, value);
      // Only where the call building the router really takes that keyword (its class declares the field).
      if (!spec.insertion || (spec.insertion.acceptedKeys && !spec.insertion.acceptedKeys.includes(keyIfMissing))) return [];
      const { offset, prefix, suffix } = spec.insertion;
      return [{ range: { start: offset, end: offset }, newText: `${prefix}${formatAssignment(spec.dialect, keyIfMissing, format(value))}${suffix}` }];
    },
  };
}

export interface FixAllResult {
  readonly text: string;
  readonly passes: number;
  readonly fixesApplied: number;
}

const MAX_FIX_PASSES = 10;

/**
 * Applies every safe preferred fix that edits this file, re-linting between passes until nothing changes
 * (a fixed point) or the pass limit is hit, as ESLint's runner does.
 */
export function fixAll(file: string, text: string, project: ProjectIndex = new ProjectIndex(), options: LintOptions = {}): FixAllResult {
  let current = text;
  let fixesApplied = 0;
  let passes = 0;
  while (passes < MAX_FIX_PASSES) {
    const { diagnostics } = lintText(file, current, project, options);
    // Take whole fixes only: a fix whose edits overlap one already taken waits for the next pass.
    const edits: FileEdit[] = [];
    for (const diagnostic of diagnostics) {
      const fix = safeFixFor(diagnostic, file);
      if (!fix || fix.edits.some((e) => edits.some((taken) => overlapsOrTouches(taken.range, e.range)))) continue;
      edits.push(...fix.edits);
    }
    if (edits.length === 0) break;
    passes++;
    const result = applyEdits(current, edits);
    if (result.applied === 0 || result.text === current) break;
    fixesApplied += result.applied;
    current = result.text;
  }
  return { text: current, passes, fixesApplied };
}

/** The fix fix-all would apply for a diagnostic: safe, preferred (or the only one), touching only `file`. */
export function safeFixFor(diagnostic: Diagnostic, file: string): Diagnostic['fixes'][number] | undefined {
  const candidates = diagnostic.fixes.filter((f) => f.safety === 'safe' && f.edits.every((e) => e.file === undefined || e.file === file));
  return candidates.find((f) => f.preferred) ?? (candidates.length === 1 ? candidates[0] : undefined);
}

function overlapsOrTouches(a: SourceRange, b: SourceRange): boolean {
  return a.start < b.end && b.start < a.end || (a.start === a.end && a.start === b.start) || (b.start === b.end && b.start === a.start);
}

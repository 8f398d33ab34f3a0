/** What a rule is (metadata as data, like ESLint's `meta`) and what it reports (plain data, like Ruff's). */
import type { FileFormat } from '../model/file-format';
import type { PythonDeclarations } from '../parse/python/declarations';
import type { ParsedPython } from '../parse/python/syntax';
import type { ProjectIndex } from '../project';
import type { Dialect, Field, Framework, RouterSpec, Site } from '../model/router-spec';
import type { SourceRange } from '../text/source';

export type Severity = 'error' | 'warning' | 'info';
export type SeveritySetting = Severity | 'off';
export type Category = 'structure' | 'published-model' | 'compatibility' | 'hint';

/** A text edit; `file` is set only when it changes another file than the one linted. */
export interface FileEdit {
  readonly file?: string;
  readonly range: SourceRange;
  readonly newText: string;
}

/** A kind of fix a rule offers (metadata, like ESLint's suggestion messages): its title and its safety. */
export interface FixKind {
  /** Template with `{name}` placeholders, filled from the proposal's data. */
  readonly title: string;
  /** Safe fixes keep what the config means to the user; `--fix` and fix-all apply only these. */
  readonly safety: 'safe' | 'unsafe';
}

/** What a rule's check proposes; the runner makes it a Fix with the title and safety the rule declares. */
export interface FixProposal {
  readonly kind: string;
  readonly data?: Readonly<Record<string, string | number>>;
  readonly edits: readonly FileEdit[];
  readonly preferred?: boolean;
}

export interface Fix {
  readonly title: string;
  readonly edits: readonly FileEdit[];
  /** Safe fixes keep what the config means to the user; `--fix` and fix-all apply only these. */
  readonly safety: 'safe' | 'unsafe';
  readonly preferred?: boolean;
}

export interface RelatedInformation {
  readonly file?: string;
  readonly range: SourceRange;
  readonly message: string;
}

export interface Diagnostic {
  readonly code: string;
  readonly ruleName: string;
  readonly severity: Severity;
  readonly messageId: string;
  /** What is wrong, short enough for a Problems row. */
  readonly message: string;
  /** The evidence and its source, for the hover and machine-readable output. */
  readonly detail?: string;
  readonly range: SourceRange;
  readonly fixes: readonly Fix[];
  readonly related: readonly RelatedInformation[];
}


export interface RuleDocs {
  /** What it does. */
  readonly what: string;
  /** Why is this bad? */
  readonly why: string;
  /** A snippet that fires, and its corrected form that does not. */
  readonly example: { readonly dialect: FileFormat; readonly code: string };
  readonly useInstead: { readonly dialect: FileFormat; readonly code: string };
  readonly fixSafety?: string;
  readonly references: readonly string[];
}

export interface Report {
  readonly messageId: string;
  readonly data?: Readonly<Record<string, string | number>>;
  /** Evidence and source (how the model was recognised, which primary source says so). */
  readonly detail?: string;
  readonly range: SourceRange;
  readonly fixes?: readonly FixProposal[];
  readonly related?: readonly RelatedInformation[];
  /** Overrides the default severity, e.g. for facts from secondary sources. */
  readonly severity?: Severity;
}

export interface RuleContext {
  readonly file: string;
  readonly text: string;
  readonly dialect: Dialect | undefined;
  readonly specs: readonly RouterSpec[];
  readonly declarations: PythonDeclarations | undefined;
  /** The parsed Python of the file (Python files only), for rules about source code. */
  readonly python?: ParsedPython;
  readonly project: ProjectIndex;
  report(report: Report): void;
  /** Edits that set a field to a value: every site (aliases included) is rewritten, or the key is added. */
  setField(spec: RouterSpec, field: Field<unknown>, keyIfMissing: string, value: unknown): FileEdit[];
  /** Edits that rewrite the given sites' values. */
  replaceSites(sites: readonly Site[], value: unknown): FileEdit[];
  /** Source text of a value in this document's dialect (`True` in Python, `true` in JSON). */
  formatValue(value: unknown): string;
}

export interface Rule {
  /** `MOE` plus three digits, assigned once in the registry and never reused. */
  readonly code: string;
  /** Kebab case, names the pattern flagged ("allow <name>" reads well). */
  readonly name: string;
  readonly category: Category;
  readonly defaultSeverity: Severity;
  /**
   * `deprecated` still runs and says so in its doc; `removed` never runs, and naming it (`--rule`, settings) is
   * an error that says why. A rule renamed or merged into another is a redirect (RULE_REDIRECTS), not a status.
   */
  readonly status: 'stable' | 'preview' | 'deprecated' | 'removed';
  readonly since: string;
  /** message id → template with `{name}` placeholders; the first entry is the summary. */
  readonly messages: Readonly<Record<string, string>>;
  /** Whether findings come with fixes, and each kind of fix the rule proposes (title template and safety). */
  readonly fix: { readonly availability: 'none' | 'sometimes' | 'always'; readonly kinds?: Readonly<Record<string, FixKind>> };
  readonly docs: RuleDocs;
  /**
   * `configs` (default): runs on files with router configs. `python-source`: runs (through `check`) on any Python
   * file MoE Lens parses, config or not (model code: MOE017).
   */
  readonly scope?: 'configs' | 'python-source';
  /**
   * The rows of the launch-check census (test/census/moe-launch-checks.tsv: each framework's own MoE checks,
   * with file, line and commit) this rule catches before launch, by row id (`TT-010`, `MEG-113`).
   */
  readonly census?: readonly string[];
  /**
   * Census rows whose condition this rule catches through other rows that the framework raises first on every
   * config meeting it, so that the row's own message is never printed (MEG-093: MEG-090 or MEG-091 stops the
   * run first): row id → the rows reported instead. The rule's tests name each row with the config that meets it.
   */
  readonly censusStoppedFirst?: Readonly<Record<string, readonly string[]>>;
  /** The frameworks whose configs `checkSpec` is given (every framework when absent). */
  readonly frameworks?: readonly Framework[];
  /**
   * Checks one router config (most rules): the runner calls it for each config of the file. A rule about the
   * file as a whole (MOE002's declarations) implements `check` instead; a rule has exactly one of the two.
   */
  checkSpec?(spec: RouterSpec, context: RuleContext): void;
  check?(context: RuleContext): void;
}

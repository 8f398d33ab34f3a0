/**
 * torchtitan Python dialect: keyword calls such as `MoEArgs(...)`, `MoE.Config(router=...Config(...))`
 * or builder calls carrying router keywords, inside flavor dicts or builder functions.
 * Missing keywords take their defaults from the workspace's `@dataclass` (any file), else from torchtitan.
 */
import type { SyntaxNode } from '@lezer/common';
import type { DefaultOrigin, Field, Insertion, Literal, RouterSpec, SelectionBias, Site } from '../model/router-spec';
import type { ProjectIndex } from '../project';
import {
  TORCHTITAN_MOE_DEFAULTS,
  TORCHTITAN_NESTED_ROUTER_KEYS,
  TORCHTITAN_ROUTER_CALLEES,
  TORCHTITAN_ROUTER_KEYS,
  TORCHTITAN_SOURCE,
} from '../references/torchtitan';
import { LineIndex, type SourceRange } from '../text/source';
import { familyFromHints } from './family';
import { collectDeclarations, type DataclassDecl, type PythonDeclarations } from './python/declarations';
import { callArguments, calleeName, children, nodeText, parsePython, siteOf, stringValue, type ParsedPython } from './python/syntax';

export interface PythonAnalysis {
  readonly parsed: ParsedPython;
  readonly specs: RouterSpec[];
  readonly declarations: PythonDeclarations;
}

const MAX_NESTING = 4;

export function analyzeTorchtitanPython(text: string, file: string, project?: ProjectIndex, parsedAlready?: ParsedPython): PythonAnalysis {
  const parsed = parsedAlready?.text === text ? parsedAlready : parsePython(text);
  const declarations = collectDeclarations(parsed, file);
  const routerCalls = parsed.calls.filter((call) => isRouterCall(call, text));
  const routerCallStarts = new Set(routerCalls.map((call) => call.from));
  const lines = new LineIndex(text);
  const specs: RouterSpec[] = [];
  for (const call of routerCalls) {
    if (hasRouterAncestor(call, routerCallStarts)) continue; // merged into the enclosing call
    const spec = buildSpec(call, parsed, file, declarations, project, lines);
    if (spec) specs.push(spec);
  }
  return { parsed, specs, declarations };
}

function baseCallee(name: string | undefined): string | undefined {
  if (!name) return undefined;
  // `moe.MoEArgs` → `MoEArgs`, `common.moe.MoE.Config` → `MoE.Config`
  const parts = name.split('.');
  return parts.length >= 2 && parts[parts.length - 1] === 'Config' ? parts.slice(-2).join('.') : parts[parts.length - 1];
}

function isRouterCall(call: SyntaxNode, text: string): boolean {
  const callee = baseCallee(calleeName(call, text));
  if (callee && TORCHTITAN_ROUTER_CALLEES.has(callee)) return true;
  const args = callArguments(call, text);
  if (!args) return false;
  const keys = args.keywords.map((k) => k.key).filter((k) => TORCHTITAN_ROUTER_KEYS.has(k));
  return keys.length >= 2 && (keys.includes('num_experts') || keys.includes('top_k'));
}

function hasRouterAncestor(call: SyntaxNode, routerCallStarts: ReadonlySet<number>): boolean {
  for (let node = call.parent; node; node = node.parent) {
    if (node.name === 'CallExpression' && routerCallStarts.has(node.from)) return true;
  }
  return false;
}

interface Collected {
  sites: Site[];
  callees: string[];
}

/** Keyword sites of a router call, with nested router calls and `gate=Linear.Config(bias=...)` flattened. */
function collectSites(call: SyntaxNode, text: string, depth: number, out: Collected): void {
  const callee = baseCallee(calleeName(call, text));
  if (callee) out.callees.push(callee);
  const args = callArguments(call, text);
  if (!args) return;
  for (const argument of args.keywords) {
    const value = argument.value;
    if (value.name === 'CallExpression' && depth < MAX_NESTING) {
      if (argument.key === 'gate') {
        const gateArgs = callArguments(value, text);
        const bias = gateArgs?.keywords.find((k) => k.key === 'bias');
        if (bias) out.sites.push(siteOf(bias, text, 'gate.bias'));
        continue;
      }
      if (TORCHTITAN_NESTED_ROUTER_KEYS.has(argument.key) && isRouterCall(value, text)) {
        collectSites(value, text, depth + 1, out);
        continue;
      }
    }
    out.sites.push(siteOf(argument, text));
  }
}

function buildSpec(
  call: SyntaxNode,
  parsed: ParsedPython,
  file: string,
  local: PythonDeclarations,
  project: ProjectIndex | undefined,
  lines: LineIndex,
): RouterSpec | undefined {
  const { text } = parsed;
  const collected: Collected = { sites: [], callees: [] };
  collectSites(call, text, 0, collected);
  const { sites } = collected;
  // A call that only forwards variables (`TokenChoiceTopKRouter(top_k=args.top_k, ...)`) is plumbing, not a config.
  if (!sites.some((s) => TORCHTITAN_ROUTER_KEYS.has(s.key) && s.literal.kind !== 'expression')) return undefined;

  const findDataclass = (name: string): DataclassDecl | undefined =>
    local.dataclasses.find((d) => d.name === name || d.name.endsWith(`.${name}`)) ?? project?.dataclass(name, file);
  const calleeDataclasses = collected.callees.map(findDataclass).filter((d): d is DataclassDecl => d !== undefined);
  const moeArgs = findDataclass('MoEArgs');
  const dataclasses = moeArgs && !calleeDataclasses.includes(moeArgs) ? [...calleeDataclasses, moeArgs] : calleeDataclasses;

  // A builder function (`_build_gptoss_layers(...)`) may set what its call leaves out: defaults are guesses.
  const knownConfigClass = calleeDataclasses.length > 0 || collected.callees.some((c) => TORCHTITAN_ROUTER_CALLEES.has(c));
  const lookup = (key: string): { sites: Site[]; literal: Literal; defaultFrom?: DefaultOrigin } => {
    const found = sites.filter((s) => s.key === key);
    if (found.length > 0) return { sites: found, literal: found[found.length - 1]!.literal };
    for (const decl of dataclasses) {
      const field = decl.fields.get(key);
      if (field?.literal) {
        return {
          sites: [],
          literal: field.literal,
          defaultFrom: { label: `${decl.name}.${key}`, file: decl.file, range: field.valueRange ?? field.nameRange },
        };
      }
    }
    const builtin = TORCHTITAN_MOE_DEFAULTS[key];
    return {
      sites: [],
      literal: builtin ?? { kind: 'none' },
      defaultFrom: { label: `${TORCHTITAN_SOURCE} default of \`${key}\``, ...(knownConfigClass ? {} : { uncertain: true }) },
    };
  };
  const declares = (key: string): boolean => sites.some((s) => s.key === key) || dataclasses.some((d) => d.fields.has(key));

  const numberField = (key: string): Field<number | undefined> => {
    const found = lookup(key);
    const literal = found.literal;
    if (found.defaultFrom?.uncertain) return withOrigin(undefined, found);
    return withOrigin(literal.kind === 'int' || literal.kind === 'float' ? literal.value : undefined, found);
  };
  const boolField = (...keys: string[]): Field<boolean> => {
    for (const key of keys) {
      const found = lookup(key);
      if (found.sites.length > 0) return withOrigin(found.literal.kind === 'bool' ? found.literal.value : false, found);
    }
    const found = lookup(keys[0]!);
    return withOrigin(found.literal.kind === 'bool' ? found.literal.value : false, found);
  };

  const topkBeforeScore = boolField('topk_before_score');
  const scoreFuncFound = lookup('score_func');
  const scoreFunc = withOrigin(scoreFuncFound.literal.kind === 'string' ? scoreFuncFound.literal.value : 'sigmoid', scoreFuncFound);
  const routeNorm = boolField('route_norm');
  const groupsCount = numberField('num_expert_groups');
  const groupsSelected = numberField('num_limited_groups');

  const context = enclosingContext(call, parsed);
  const hidden = context.hidden ?? { value: undefined, sites: [] };
  const layers = context.layers ?? { value: undefined, sites: [] };

  return {
    dialect: 'torchtitan-python',
    framework: 'torchtitan',
    name: context.name ?? `${collected.callees[0] ?? 'call'} (line ${lines.positionAt(call.from).line + 1})`,
    range: context.namedRange ?? { start: call.from, end: call.to },
    anchorRange: { start: call.from, end: call.firstChild?.to ?? call.to },
    experts: numberField('num_experts'),
    topK: numberField('top_k'),
    order: { value: topkBeforeScore.value ? 'topk-then-score' : 'score-then-topk', sites: topkBeforeScore.sites, ...origin(topkBeforeScore) },
    scoreFunc,
    routerBias: boolField('gate.bias', 'gate_bias', 'use_router_bias'),
    selectionBias: selectionBias(lookup, declares),
    groups:
      groupsCount.value !== undefined || groupsSelected.value !== undefined
        ? { count: groupsCount, selected: groupsSelected, score: 'top2-sum', mask: -Infinity }
        : undefined,
    normalize: { value: routeNorm.value ? 'always' : 'never', sites: routeNorm.sites, ...origin(routeNorm) },
    scale: (() => {
      const f = numberField('route_scale');
      return { ...f, value: f.value ?? 1 };
    })(),
    debugRoundRobin: boolField('_debug_force_load_balance'),
    hidden,
    layers,
    sites,
    identity: { family: familyFromHints([...context.hints, file]), ...(context.name ? { flavor: context.name } : {}) },
    insertion: insertionPoint(call, text, lines),
    keyNames: {
      experts: 'num_experts',
      topK: 'top_k',
      scoreFunc: 'score_func',
      order: 'topk_before_score',
      groupsCount: 'num_expert_groups',
      groupsSelected: 'num_limited_groups',
      normalize: 'route_norm',
      scale: 'route_scale',
      selectionBias: declares('use_expert_bias') ? 'use_expert_bias' : 'load_balance_coeff',
      debugRoundRobin: '_debug_force_load_balance',
    },
  };
}

function origin<T>(field: Field<T>): { defaultFrom?: DefaultOrigin } {
  return field.defaultFrom ? { defaultFrom: field.defaultFrom } : {};
}

function withOrigin<T>(value: T, found: { sites: Site[]; defaultFrom?: DefaultOrigin }): Field<T> {
  return { value, sites: found.sites, ...(found.defaultFrom && found.sites.length === 0 ? { defaultFrom: found.defaultFrom } : {}) };
}

/**
 * torchtitan: `load_balance_coeff` not None turns on the learned `expert_bias` (research §1.5). The PR's
 * `use_expert_bias`, where a config or its dataclass has it, decides instead.
 */
function selectionBias(
  lookup: (key: string) => { sites: Site[]; literal: Literal; defaultFrom?: DefaultOrigin },
  declares: (key: string) => boolean,
): Field<SelectionBias> {
  if (declares('use_expert_bias')) {
    const found = lookup('use_expert_bias');
    return withOrigin(found.literal.kind === 'bool' && found.literal.value ? 'learned' : 'none', found);
  }
  const found = lookup('load_balance_coeff');
  return withOrigin(found.literal.kind === 'none' ? 'none' : 'learned', found);
}

interface EnclosingContext {
  name?: string;
  /** The flavor entry (`"120b": ModelArgs(...)`) or builder function that gives the config its name. */
  namedRange?: SourceRange;
  hints: string[];
  hidden?: Field<number | undefined>;
  layers?: Field<number | undefined>;
}

/** Flavor key or builder name, model-args keywords (`dim`, `n_layers`) and identifiers that hint the family. */
function enclosingContext(call: SyntaxNode, parsed: ParsedPython): EnclosingContext {
  const { text } = parsed;
  const context: EnclosingContext = { hints: [] };
  let child: SyntaxNode = call;
  for (let node = call.parent; node; child = node, node = node.parent) {
    if (node.name === 'CallExpression') {
      const callee = calleeName(node, text);
      if (callee) context.hints.push(callee);
      for (const argument of callArguments(node, text)?.keywords ?? []) {
        const literal = siteOf(argument, text);
        if (literal.literal.kind !== 'int') continue;
        const field = { value: literal.literal.value, sites: [literal] };
        if (!context.hidden && (argument.key === 'dim' || argument.key === 'hidden_size')) context.hidden = field;
        if (!context.layers && (argument.key === 'n_layers' || argument.key === 'num_hidden_layers')) context.layers = field;
      }
    } else if (node.name === 'DictionaryExpression' && context.name === undefined) {
      // `key : value` are siblings; step back from the value instead of listing every entry (quadratic).
      let value: SyntaxNode | null = node.childAfter(child.from);
      while (value && value.from < child.from) value = value.nextSibling;
      const colon = value?.prevSibling;
      const key = colon?.name === ':' ? colon.prevSibling : undefined;
      const keyValue = key?.name === 'String' ? stringValue(nodeText(text, key)) : undefined;
      if (keyValue !== undefined) {
        context.name = keyValue;
        context.namedRange = { start: key!.from, end: child.to };
      }
    } else if (node.name === 'FunctionDefinition') {
      const fnName = node.getChild('VariableName');
      if (fnName) {
        const name = nodeText(text, fnName);
        context.hints.push(name);
        if (context.name === undefined) {
          context.name = name.replace(/^_+/, '');
          context.namedRange = { start: node.from, end: node.to };
        }
      }
    } else if (node.name === 'AssignStatement') {
      const target = node.firstChild;
      if (target?.name === 'VariableName') context.hints.push(nodeText(text, target));
    }
  }
  return context;
}

function insertionPoint(call: SyntaxNode, text: string, lines: LineIndex): Insertion | undefined {
  const argList = call.getChild('ArgList');
  // A call Lezer had to repair (no closing parenthesis) has no clean place to add a keyword.
  if (!argList || argList.lastChild?.name !== ')' || argList.lastChild.from === argList.lastChild.to) return undefined;
  const items = children(argList).filter((n) => n.name !== '(' && n.name !== ')' && n.name !== 'Comment');
  const open = argList.firstChild;
  if (items.length === 0) return { offset: open ? open.to : argList.from + 1, prefix: '', suffix: '' };
  const last = items[items.length - 1]!;
  const lastValue = last.name === ',' ? items[items.length - 2] ?? last : last;
  const multiline = lines.positionAt(lastValue.from).line !== lines.positionAt(argList.from).line;
  const indent = multiline ? indentationAt(text, lastValue.from) : '';
  if (last.name === ',') return { offset: last.to, prefix: multiline ? `\n${indent}` : ' ', suffix: ',' };
  return { offset: last.to, prefix: multiline ? `,\n${indent}` : ', ', suffix: '' };
}

function indentationAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, offset))![0];
}


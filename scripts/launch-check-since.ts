/**
 * `npx tsx scripts/launch-check-since.ts MEGATRON_GIT_DIR`: cross-checks since.ts (the commit that added each recent
 * Megatron-LM launch check) against Megatron-LM's history, for a reviewer to act on. No network; reads a git dir
 * (a clone's `.git`, or a bare mirror).
 *
 * For each MOE020 check whose message is Megatron's own (not argparse's), the probe is the longest run of its
 * message's words (between placeholders) that Megatron's source at MEGATRON_COMMIT holds, compared on letters and
 * digits only (a message split over string literals, quotes switched, still matches). Walking the first-parent
 * history of the checks' files back to a year before CHECK_CUTOFF, the probe's first commit is the one after the
 * last where none of the check's files held it. It prints every check where that disagrees with since.ts:
 * - no since.ts entry, yet the probe first appears after CHECK_CUTOFF: a check added later than since.ts says, or
 *   one whose message was reworded (read the diff: a reworded check is as old as the condition it tests);
 * - a since.ts entry earlier than the probe's first commit: reworded after it was added (usually fine);
 * - a check whose every firing config writes a flag or a value (a trigger entry without which the check no longer
 *   fires) that Megatron-LM did not know before the check's commit: an older Megatron-LM refuses that flag or
 *   value itself (argparse's "unrecognized arguments", "invalid choice"), so the launch stops on every Megatron-LM
 *   and the check wants no since.ts entry (an error, not a warning).
 */
import { spawnSync } from 'node:child_process';
import { MEGATRON_LAUNCH_CHECKS } from '../src/core/references/megatron-launch-checks';
import { ARGUMENTS, MEGATRON_COMMIT, TC } from '../src/core/references/megatron-launch-checks/check';
import { CHECK_CUTOFF } from '../src/core/references/megatron-launch-checks/since';
import { lintText } from '../src/core/lint';

const gitDir = process.argv[2];
if (!gitDir) throw new Error('usage: npx tsx scripts/launch-check-since.ts MEGATRON_GIT_DIR');

/** A check moves between these as Megatron is refactored (arguments.py lived in megatron/ before megatron/training/). */
const SHARED_FILES = [TC, ARGUMENTS, 'megatron/arguments.py'];
/** Where Megatron-LM declares its flags and their choices (besides SHARED_FILES). */
const FLAG_FILES = [...SHARED_FILES, 'megatron/core/model_parallel_config.py'];
/**
 * A flag's older spelling that Megatron-LM still takes and maps onto it (letters only): `--cuda-graph-scope`, deprecated
 * for `--cuda-graph-modules` (arguments.py l.633-638), reaches the cuda-graph checks in a Megatron-LM that predates
 * `--cuda-graph-modules` (but MOE020 points those that check the modules at `--cuda-graph-modules`, and fires them only
 * where a config writes that flag).
 */
const ALIASES: Readonly<Record<string, readonly string[]>> = { cudagraphmodules: ['cudagraphscope'] };
/** Shorter probes ("Invalid drop policy") match unrelated code; such checks are left out. */
const MIN_PROBE = 24;

const letters = (text: string): string => text.replace(/[^A-Za-z0-9]+/g, '');

function git(args: string[], input?: string): string {
  const result = spawnSync('git', [`--git-dir=${gitDir}`, ...args], { encoding: 'latin1', input, maxBuffer: 512 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** The files at one commit, letters and digits only; undefined where the commit has no such file. */
function filesAt(commit: string, paths: readonly string[]): Map<string, string | undefined> {
  const out = git(['cat-file', '--batch'], paths.map((path) => `${commit}:${path}\n`).join(''));
  const files = new Map<string, string | undefined>();
  let at = 0;
  for (const path of paths) {
    const end = out.indexOf('\n', at);
    const header = out.slice(at, end);
    if (header.endsWith(' missing')) {
      files.set(path, undefined);
      at = end + 1;
      continue;
    }
    const size = Number(header.split(' ')[2]);
    files.set(path, letters(out.slice(end + 1, end + 1 + size)));
    at = end + 1 + size + 1;
  }
  return files;
}

const checks = MEGATRON_LAUNCH_CHECKS.filter((check) => !check.argparse);
const paths = [...new Set([...checks.map((check) => check.file), ...FLAG_FILES])];
const atHead = filesAt(MEGATRON_COMMIT, paths);

function probeOf(message: string, source: string | undefined): string | undefined {
  let best = '';
  for (const part of message.split(/\{\w+\}/)) {
    const words = part.split(/\s+/).filter(Boolean);
    for (let i = 0; i < words.length; i++) {
      for (let j = words.length; j > i; j--) {
        const candidate = letters(words.slice(i, j).join(' '));
        if (candidate.length <= best.length) break;
        if (source?.includes(candidate)) {
          best = candidate;
          break;
        }
      }
    }
  }
  return best.length >= MIN_PROBE ? best : undefined;
}

const probes = new Map(checks.flatMap((check) => {
  const probe = probeOf(check.message, atHead.get(check.file));
  return probe ? [[check.id, probe] as const] : [];
}));
const filesOf = (file: string): string[] => [file, ...SHARED_FILES.filter((shared) => shared !== file)];
const since = new Date(CHECK_CUTOFF);
since.setFullYear(since.getFullYear() - 1);
const history = git(['rev-list', '--first-parent', '--reverse', `--since=${since.toISOString().slice(0, 10)}`, '--format=%h %as', MEGATRON_COMMIT, '--', ...paths])
  .split('\n')
  .filter((line) => line && !line.startsWith('commit '))
  .map((line) => line.split(' ') as [string, string]);
/** A whole launch script writing these flags (as the rule's tests write them). */
function launch(flags: Readonly<Record<string, string | true>>, withoutExperts = false): string {
  const words = Object.entries(flags).map(([key, value]) => `--${key.replace(/_/g, '-')}${value === true ? '' : ` ${value}`}`);
  return `torchrun pretrain_gpt.py ${withoutExperts ? '' : '--num-experts 64 '}--moe-router-topk 2 ${words.join(' ')}\n`;
}
const fires = (check: (typeof checks)[number], flags: Readonly<Record<string, string | true>>): boolean =>
  lintText('train.sh', launch(flags, check.withoutExperts)).diagnostics.some((d) => d.code === 'MOE020' && d.message.includes(check.message.slice(0, 30).split('{')[0]!));
/** Per check, the words (a flag's letters, a value's) every config it fires on writes. */
const required = new Map(
  checks.map((check) => {
    if (check.bridgeOnly || check.fieldsOnly || !fires(check, check.trigger)) return [check.id, [] as string[]] as const;
    const words = Object.entries(check.trigger).flatMap(([key, value]) => {
      const without = Object.fromEntries(Object.entries(check.trigger).filter(([other]) => other !== key));
      if (fires(check, without)) return [];
      return [letters(key), ...(typeof value === 'string' && /[A-Za-z]/.test(value) ? value.split(/\s+/).map(letters) : [])];
    });
    return [check.id, words] as const;
  }),
);
const wordFirstSeen = new Map<string, { commit: string; date: string }>();
const firstSeen = new Map<string, { commit: string; date: string }>();
for (const [commit, date] of history) {
  const files = filesAt(commit, paths);
  const flagText = FLAG_FILES.map((path) => files.get(path) ?? '').join(' ');
  for (const word of new Set([...required.values()].flat().flatMap((w) => [w, ...(ALIASES[w] ?? [])]))) {
    if (!flagText.includes(word)) wordFirstSeen.delete(word);
    else if (!wordFirstSeen.has(word)) wordFirstSeen.set(word, { commit, date });
  }
  for (const check of checks) {
    const probe = probes.get(check.id);
    if (!probe) continue;
    const held = filesOf(check.file).some((path) => files.get(path)?.includes(probe));
    if (!held) firstSeen.delete(check.id);
    else if (!firstSeen.has(check.id)) firstSeen.set(check.id, { commit, date });
  }
}

console.log(`${history.length} commits of ${paths.length} files since ${since.toISOString().slice(0, 10)}; ${probes.size} of ${checks.length} checks have a probe`);
for (const check of checks) {
  const seen = firstSeen.get(check.id);
  if (!probes.has(check.id)) console.log(`${check.id}: no probe (message too short to find)`);
  else if (!seen) console.log(`${check.id}: probe not at ${MEGATRON_COMMIT} in every file walked`);
  else if (!check.since && seen.date > CHECK_CUTOFF) console.log(`${check.id}: no since.ts entry, first held ${seen.date} (${seen.commit}): added or reworded then`);
  else if (check.since && seen.date > check.since.date && !seen.commit.startsWith(check.since.commit)) console.log(`${check.id}: since.ts ${check.since.date} (${check.since.commit}), this wording since ${seen.date} (${seen.commit})`);
  const added = check.since?.date ?? (seen && seen.date > CHECK_CUTOFF ? seen.date : undefined);
  if (!added) continue;
  // A check pointed at the flag itself fires only where a config writes that spelling: its older alias does not count.
  const aliasesOf = (word: string): readonly string[] => (check.at.replace(/_/g, '') === word ? [] : (ALIASES[word] ?? []));
  const firstOf = (word: string): string => [word, ...aliasesOf(word)].map((w) => wordFirstSeen.get(w)?.date ?? '9999').sort()[0]!;
  const newer = (required.get(check.id) ?? []).filter((word) => firstOf(word) >= added);
  const said = newer.map((word) => `${word} (first ${firstOf(word)})`).join(', ');
  if (newer.length > 0 && !check.since?.with) console.log(`${check.id}: every config it fires on writes ${said}, which a Megatron-LM older than the check refuses: wants \`with\``);
  if (newer.length === 0 && check.since?.with) console.log(`${check.id}: \`with: ${check.since.with}\`, but every flag it needs is older than the check`);
}

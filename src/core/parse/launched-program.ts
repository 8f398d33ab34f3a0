/**
 * A launch script can spell Megatron's MoE flags for a program that is not Megatron: DeepSpeedExamples'
 * training/cifar/run_ds_moe.sh (@45b4b71) runs `deepspeed cifar10_deepspeed.py … --num-experts 2 --top-k 1`, and
 * cifar10_deepspeed.py's own argparse defines `--num-experts` and `--top-k` for DeepSpeed's MoE layer. Read as
 * Megatron's, the script showed Megatron's router and its defaults. Decided from the program's text where the
 * workspace holds it, never from its name.
 */
import { ENTRY_POINT, scriptWords, type RelatedText } from './megatron';
import { normalizePath } from '../text/paths';

/** An argparse definition of a flag MoE Lens reads as Megatron's router: the program parses it itself. */
const OWN_MOE_FLAG = /add_argument\(\s*["']--(?:num[-_]experts|top[-_]k|moe[-_]router[-_]topk|moe[-_]num[-_]experts|moe[-_]top[-_]k)["']/;
/** A program that imports Megatron parses with Megatron's arguments (a fork's `train.py`, slime's), extended or not. */
const IMPORTS_MEGATRON = /^\s*(?:from|import)\s+megatron\b/m;
/** Any `cd`: the folder a relative program name is found in is then not the script's own. */
const CHANGES_FOLDER = /(^|[\s;&|(])cd(\s|$)/m;
/** A command substitution with no other inside, `$( … )` or backquotes: a `cd` there changes only its subshell's folder. */
const SUBSHELL = /\$\([^()]*\)|`[^`]*`/g;
const MAX_NESTING = 8;

/** Whether the script changes its own folder: a `cd` outside command substitutions (`CURRENT_DIR="$( cd "$( dirname "$0" )" && pwd )"` does not). */
function changesFolder(text: string): boolean {
  let outside = text;
  for (let depth = 0; depth < MAX_NESTING && SUBSHELL.test(outside); depth++) outside = outside.replace(SUBSHELL, ' ');
  return CHANGES_FOLDER.test(outside);
}
const MAX_PROGRAMS = 16;

/**
 * The workspace program the script runs that defines the MoE flags with an argparse of its own and never imports
 * Megatron, or undefined: a script that runs a Megatron-LM entry point, changes folder, or runs only programs the
 * workspace does not hold keeps being read as Megatron's. `programs`: launchedPrograms(text, file), where the caller has it.
 */
export function programWithOwnMoeFlags(text: string, file: string, read: RelatedText, programs = launchedPrograms(text, file)): string | undefined {
  if (programs.some((p) => ENTRY_POINT.test(p))) return undefined;
  for (const path of programs.slice(0, MAX_PROGRAMS)) {
    const source = read(path);
    if (source !== undefined && OWN_MOE_FLAG.test(source) && !IMPORTS_MEGATRON.test(source)) return path;
  }
  return undefined;
}

/**
 * The Python programs a script names, as workspace paths (a relative name from the script's own folder); none where
 * the script changes folder (`cd`), so that a relative name could mean another file.
 */
export function launchedPrograms(text: string, file: string): string[] {
  if (changesFolder(text)) return [];
  const folder = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
  // The script's words with those of its flag strings and `eval`'d commands brought out (Pai-Megatron-Patch's
  // `run_cmd="torchrun $DISTRIBUTED_ARGS pretrain_qwen.py …"`, then `eval ${run_cmd}`).
  const programs = scriptWords(text)
    .filter((w) => !w.dynamic && w.text.endsWith('.py') && !w.text.startsWith('-'))
    .map((w) => (w.text.startsWith('/') ? w.text : normalizePath(folder + w.text)));
  return [...new Set(programs)];
}

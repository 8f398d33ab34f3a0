/**
 * A launch script can spell Megatron's MoE flags for a program that is not Megatron: DeepSpeedExamples'
 * training/cifar/run_ds_moe.sh (@45b4b71) runs `deepspeed cifar10_deepspeed.py … --num-experts 2 --top-k 1`, and
 * cifar10_deepspeed.py's own argparse defines `--num-experts` and `--top-k` for DeepSpeed's MoE layer. Read as
 * Megatron's, the script showed Megatron's router and its defaults. Decided from the program's text where the
 * workspace holds it, never from its name.
 */
import { shellWords } from './shell-words';
import { ENTRY_POINT, type RelatedText } from './megatron';
import { normalizePath } from '../text/paths';

/** An argparse definition of a flag MoE Lens reads as Megatron's router: the program parses it itself. */
const OWN_MOE_FLAG = /add_argument\(\s*["']--(?:num[-_]experts|top[-_]k|moe[-_]router[-_]topk|moe[-_]num[-_]experts|moe[-_]top[-_]k)["']/;
/** A program that imports Megatron parses with Megatron's arguments (a fork's `train.py`, slime's), extended or not. */
const IMPORTS_MEGATRON = /^\s*(?:from|import)\s+megatron\b/m;
/** Any `cd`: the folder a relative program name is found in is then not the script's own. */
const CHANGES_FOLDER = /(^|[\s;&|(])cd(\s|$)/m;
const MAX_PROGRAMS = 16;

/**
 * The workspace program the script runs that defines the MoE flags with an argparse of its own and never imports
 * Megatron, or undefined: a script that runs a Megatron-LM entry point, changes folder, or runs only programs the
 * workspace does not hold keeps being read as Megatron's.
 */
export function programWithOwnMoeFlags(text: string, file: string, read: RelatedText): string | undefined {
  if (CHANGES_FOLDER.test(text)) return undefined;
  const programs = shellWords(text)
    .filter((w) => !w.dynamic && w.text.endsWith('.py') && !w.text.startsWith('-'))
    .map((w) => w.text);
  if (programs.some((p) => ENTRY_POINT.test(p))) return undefined;
  const folder = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
  for (const program of [...new Set(programs)].slice(0, MAX_PROGRAMS)) {
    const path = program.startsWith('/') ? program : normalizePath(folder + program);
    const source = read(path);
    if (source !== undefined && OWN_MOE_FLAG.test(source) && !IMPORTS_MEGATRON.test(source)) return path;
  }
  return undefined;
}

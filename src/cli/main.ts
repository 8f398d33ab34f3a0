/** `moe-lens` command line: picks the command, parses its own options strictly, runs it, prints, exits (0 ok, 1 errors found, 2 usage/I-O). */
import { parseArgs } from 'node:util';
import { ArgumentError, type CliCommand, type OptionSpec } from './command';
import type { CommandResult } from './command-result';
import { COMMANDS } from './commands/definitions';

declare const MOE_LENS_VERSION: string;
const VERSION = typeof MOE_LENS_VERSION === 'string' ? MOE_LENS_VERSION : '0.0.0-dev';

/** Options every command takes. */
const GLOBAL_OPTIONS: OptionSpec = { help: { type: 'boolean', short: 'h' }, color: { type: 'boolean' }, 'no-color': { type: 'boolean' } };

/** A command's usage lines, indented under `Usage:`. */
const indented = (usage: string): string => usage.replace(/^/gm, '  ');

const USAGE = `Usage:
${COMMANDS.map((c) => indented(c.usage)).join('\n')}
  moe-lens --version | --help | COMMAND --help

lint reads torchtitan Python (*.py), Hugging Face / DeepSeek config JSON (*.json) and Megatron flags/YAML.
route runs the config's exact router (ONNX on onnxruntime-node) on synthetic or given weights and tokens.
Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage or I/O failure.`;

const usageError = (message: string, command?: CliCommand): CommandResult => ({
  stdout: '',
  stderr: `moe-lens: ${message}\n\n${command ? `Usage:\n${indented(command.usage)}\n\n\`moe-lens --help\` lists every command.` : USAGE}`,
  exitCode: 2,
});

export async function run(argv: readonly string[], env: { color: boolean }): Promise<CommandResult> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') return { stdout: USAGE, stderr: '', exitCode: first ? 0 : 2 };
  if (first === '--version' || first === '-v') return { stdout: VERSION, stderr: '', exitCode: 0 };
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) return usageError(first.startsWith('-') ? `unknown option "${first}" before a command` : `unknown command "${first}"`);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, strict: true, options: { ...GLOBAL_OPTIONS, ...command.options } });
  } catch (error) {
    // Node's message names the option: `Unknown option '--weights'`.
    return usageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''), command);
  }
  const { values, positionals } = parsed;
  if (values.help) return { stdout: `Usage:\n${indented(command.usage)}`, stderr: '', exitCode: 0 };
  const color = values['no-color'] ? false : ((values.color as boolean | undefined) ?? env.color);
  try {
    return await command.run(values, positionals, { color, version: VERSION });
  } catch (error) {
    if (error instanceof ArgumentError) return usageError(error.message, command);
    throw error;
  }
}

export async function main(): Promise<void> {
  let result: CommandResult;
  try {
    result = await run(process.argv.slice(2), { color: process.stdout.isTTY === true && !process.env.NO_COLOR });
  } catch (error) {
    result = { stdout: '', stderr: `moe-lens: internal error: ${String((error as Error)?.message ?? error)}`, exitCode: 2 };
  }
  // A reader that stops early (`moe-lens lint --format json | head`) closes the pipe: that is not an error
  // to report with a stack trace, as Unix tools stay quiet when their reader goes away.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
  process.exitCode = result.exitCode;
  // Exit once the output is flushed (large JSON outputs must be), without waiting for the tasks V8 schedules for
  // later (a garbage collection of a heap about to be freed cost a short lint ~5 ms).
  let pending = 1;
  const flushed = (): void => {
    if (--pending === 0) process.exit(result.exitCode);
  };
  for (const [stream, text] of [[process.stdout, result.stdout], [process.stderr, result.stderr]] as const) {
    if (!text) continue;
    pending++;
    stream.write(`${text}\n`, flushed);
  }
  flushed();
}

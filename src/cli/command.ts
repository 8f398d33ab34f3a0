/**
 * What every `moe-lens` command declares for itself: its options (parsed strictly, so `lint --weights` is an
 * error, not ignored), its usage lines, and how it turns parsed options into a run. `main` only dispatches.
 */
import type { ParseArgsConfig } from 'node:util';
import type { CommandResult } from './command-result';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CliEnv {
  readonly color: boolean;
  readonly version: string;
}

export interface CliCommand {
  readonly name: string;
  /** Its lines of the usage text, starting with `moe-lens NAME`. */
  readonly usage: string;
  readonly options: OptionSpec;
  /** Throws ArgumentError for a bad value (main prints it with this command's usage). */
  run(values: OptionValues, positionals: string[], env: CliEnv): CommandResult | Promise<CommandResult>;
}

/** A bad option value: main answers with exit 2, the message, and the command's usage. */
export class ArgumentError extends Error {}

export function integer(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) throw new ArgumentError(`${flag} must be an integer from ${min} to ${max} (got "${text}")`);
  return value;
}

export function positiveNumber(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new ArgumentError(`${flag} must be a positive number (got "${text}")`);
  return value;
}

/** One of the listed formats, or an ArgumentError naming them. */
export function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  const chosen = value ?? fallback;
  if (!(allowed as readonly string[]).includes(chosen)) throw new ArgumentError(`unknown ${flag} "${chosen}" (${allowed.join(', ')})`);
  return chosen as T;
}

export const text = (values: OptionValues, key: string): string | undefined => (typeof values[key] === 'string' ? (values[key] as string) : undefined);

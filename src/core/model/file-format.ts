/**
 * The file formats MoE Lens reads, by file name: one union for the analysers, the rule docs' code blocks and
 * the editor. (A "dialect" is something else: how one framework spells a router inside a format.)
 */
export type FileFormat = 'python' | 'json' | 'yaml' | 'shell' | 'toml';

export function fileFormat(file: string): FileFormat | undefined {
  const lower = file.toLowerCase();
  if (lower.endsWith('.py') || lower.endsWith('.pyi')) return 'python';
  if (lower.endsWith('.json') || lower.endsWith('.jsonc')) return 'json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  if (lower.endsWith('.sh') || lower.endsWith('.bash')) return 'shell';
  if (lower.endsWith('.toml')) return 'toml';
  return undefined;
}

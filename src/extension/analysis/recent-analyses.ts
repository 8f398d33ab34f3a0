/**
 * The analyses the worker made last, each with the text it was made from, so that the full analysis a hover or
 * the preview asks for right after a lint is not made twice. An analysis also depends on the other files it
 * imports from: when any other file's text changes, every entry but that file's own is dropped (its own entry
 * stays only if it was made from the very text the file now has).
 */
export class RecentAnalyses<A> {
  private readonly entries = new Map<string, { readonly text: string; readonly analysis: A }>();

  /** Open editors rarely number more than this; the oldest entry goes first. */
  constructor(private readonly limit = 32) {}

  get(file: string, text: string): A | undefined {
    const entry = this.entries.get(file);
    return entry?.text === text ? entry.analysis : undefined;
  }

  set(file: string, text: string, analysis: A): void {
    this.entries.delete(file);
    this.entries.set(file, { text, analysis });
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value!);
  }

  /** A file's text changed (`undefined`: it was deleted). */
  changed(file: string, text: string | undefined): void {
    const own = this.entries.get(file);
    this.entries.clear();
    if (own && text !== undefined && own.text === text) this.entries.set(file, own);
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * The last parse of each recently edited Python document, so that its next version parses incrementally
 * (see parsePython). Bounded: the oldest document is forgotten first.
 */
import { parsePython, type ParsedPython } from './syntax';

export class DocumentParses {
  private readonly last = new Map<string, ParsedPython>();

  constructor(private readonly capacity = 16) {}

  /** The parse of this text, reusing what the document's previous version parsed. */
  parse(file: string, text: string): ParsedPython {
    const previous = this.last.get(file);
    if (previous?.text === text) return previous;
    const parsed = parsePython(text, previous);
    this.last.delete(file); // re-inserted last: a Map keeps insertion order, so the first key is the oldest
    this.last.set(file, parsed);
    if (this.last.size > this.capacity) this.last.delete(this.last.keys().next().value!);
    return parsed;
  }

  forget(file: string): void {
    this.last.delete(file);
  }
}

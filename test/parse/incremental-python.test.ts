import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lintText } from '../../src/core/lint';
import { DocumentParses } from '../../src/core/parse/python/document-parses';
import { parsePython, type ParsedPython } from '../../src/core/parse/python/syntax';
import { generateConfigFile } from '../../bench/generate';

/** Everything later stages read from a parse, as plain data. */
function shape(parsed: ParsedPython) {
  return {
    tree: parsed.tree.toString(),
    calls: parsed.calls.map((n) => [n.from, n.to]),
    classes: parsed.classes.map((n) => [n.from, n.to]),
    comments: parsed.comments,
    errors: parsed.errorRanges,
  };
}

/** A deterministic pseudo-random sequence (the same edits on every run). */
function random(seed: number): () => number {
  let state = seed;
  return () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe('incremental parsing of an edited Python document', () => {
  it('gives the parse a fresh parse gives, over 2,000 random edits (insertions, deletions, broken syntax)', () => {
    const next = random(7);
    const snippets = ['', 'x', '(', ')', '\n', '    ', 'top_k=4,', '"', '# c\n', 'MoEArgs(num_experts=8)', ':', '\n\n@dataclass\nclass A:\n    top_k: int = 2\n'];
    let text = generateConfigFile(20, 500);
    let previous = parsePython(text);
    for (let i = 0; i < 2000; i++) {
      const from = Math.floor(next() * text.length);
      const to = Math.min(text.length, from + Math.floor(next() * 12));
      text = text.slice(0, from) + snippets[Math.floor(next() * snippets.length)] + text.slice(to);
      const incremental = parsePython(text, previous);
      const [got, want] = [JSON.stringify(shape(incremental)), JSON.stringify(shape(parsePython(text)))];
      let differsAt = 0;
      while (got[differsAt] === want[differsAt] && differsAt < got.length) differsAt++;
      assert.ok(got === want, `edit ${i} at ${from}..${to}: the parses differ at ${differsAt}: ${got.slice(differsAt - 80, differsAt + 80)} ≠ ${want.slice(differsAt - 80, differsAt + 80)}`);
      previous = incremental;
    }
  });

  it('gives the parse a fresh parse gives over 500 edits that keep the file valid (the reused path)', () => {
    const next = random(11);
    let text = generateConfigFile(20, 500);
    let previous = parsePython(text);
    let valid = 0;
    for (let i = 0; i < 500; i++) {
      const lineStarts = [...text.matchAll(/\n/g)].map((m) => m.index + 1);
      const at = lineStarts[Math.floor(next() * lineStarts.length)]!;
      const numbers = [...text.matchAll(/=\d+/g)];
      const number = numbers[Math.floor(next() * numbers.length)]!;
      const edits = [
        () => `${text.slice(0, at)}# note ${i}\n${text.slice(at)}`,
        () => `${text.slice(0, number.index + 1)}${Math.floor(next() * 300)}${text.slice(number.index + number[0].length)}`,
        () => `${text.slice(0, at)}\n${text.slice(at)}`,
      ];
      text = edits[Math.floor(next() * edits.length)]!();
      const incremental = parsePython(text, previous);
      if (incremental.errorRanges.length === 0) valid++;
      assert.equal(JSON.stringify(shape(incremental)), JSON.stringify(shape(parsePython(text))), `edit ${i}`);
      previous = incremental;
    }
    assert.ok(valid > 400, `${valid} of 500 edits left the file valid`);
  });

  it('gives the parse a fresh parse gives where Lezer reads a blanked copy (PEP 614 decorators, parenthesised `with`)', () => {
    // Subtrees of the blanked copy (newer-syntax.ts) are reused for the text as written around an edit.
    const next = random(13);
    const newer = '@Plugin("moe").register()\ndef build():\n    with (\n        ctx() as a,  # one\n        ctx() as b,\n    ):\n        return MoEArgs(num_experts=8, top_k=2)\n\n';
    let text = `${newer}${generateConfigFile(10, 250)}\n${newer}`;
    let previous = parsePython(text);
    assert.deepEqual(previous.errorRanges, []);
    for (let i = 0; i < 300; i++) {
      const lineStarts = [...text.matchAll(/\n/g)].map((m) => m.index + 1);
      const at = lineStarts[Math.floor(next() * lineStarts.length)]!;
      const snippet = ['# note\n', '\n', '@x.y[0]\ndef f():\n    pass\n', 'with (a() as b):\n    pass\n', '(', ')'][Math.floor(next() * 6)]!;
      text = `${text.slice(0, at)}${snippet}${text.slice(at)}`;
      const incremental = parsePython(text, previous);
      assert.equal(JSON.stringify(shape(incremental)), JSON.stringify(shape(parsePython(text))), `edit ${i}`);
      previous = incremental;
    }
  });

  it('reuses the earlier parse of the same document and lints the edit as a fresh parse does', () => {
    const parses = new DocumentParses();
    const before = generateConfigFile(40, 1000);
    const first = parses.parse('flavors.py', before);
    assert.equal(parses.parse('flavors.py', before), first, 'the same text is not parsed again');
    const at = before.indexOf('top_k=', before.length / 2) + 'top_k='.length;
    const after = `${before.slice(0, at)}99${before.slice(at + 1)}`; // top_k above num_experts: MOE003
    const edited = parses.parse('flavors.py', after);
    const incremental = lintText('flavors.py', after, undefined, { parsed: edited }).diagnostics.map((d) => [d.code, d.range.start, d.message]);
    const fresh = lintText('flavors.py', after).diagnostics.map((d) => [d.code, d.range.start, d.message]);
    assert.ok(incremental.some(([code]) => code === 'MOE003'), 'the edit is seen');
    assert.deepEqual(incremental, fresh);
  });

  it('keeps at most its capacity of documents, forgetting the oldest', () => {
    const parses = new DocumentParses(2);
    const a = parses.parse('a.py', 'x = 1\n');
    parses.parse('b.py', 'y = 2\n');
    parses.parse('c.py', 'z = 3\n');
    assert.notEqual(parses.parse('a.py', 'x = 1\n'), a, 'a.py was forgotten, so it is parsed again');
  });
});

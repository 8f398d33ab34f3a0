import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionals, decideConditionals, exitsIn, plainAssignments, takenBranch, type KnownValue } from '../../src/core/parse/shell-conditions';
import { shellWords, type ShellWord } from '../../src/core/parse/shell-words';

/** The words of a text, remembering the text (a `case` arm's `)` and `;;` are read from it). */
const TEXT_OF = new WeakMap<readonly ShellWord[], string>();
const wordsOf = (text: string): ShellWord[] => {
  const words = shellWords(text);
  TEXT_OF.set(words, text);
  return words;
};
const texts = (words: readonly { text: string }[]): string => words.map((w) => w.text).join(' ');

describe('launch-script if statements', () => {
  it('finds each if with its branches, nested ones after the one holding them', () => {
    const words = wordsOf('if [ $A = 1 ]; then x; if [ -f f ]; then y; fi; elif [ "$A" != 2 ]; then z; else w; fi');
    const [outer, inner] = conditionals(words, TEXT_OF.get(words)!);
    assert.deepEqual(outer!.branches.map((b) => b.test), [{ variable: 'A', value: '1', negated: false }, { variable: 'A', value: '2', negated: true }, undefined]);
    assert.equal(texts(words.slice(outer!.branches[2]!.bodyStart, outer!.branches[2]!.bodyEnd)), 'w');
    assert.equal(inner!.branches[0]!.test, 'opaque');
    assert.equal(texts(words.slice(inner!.start, inner!.end)), 'if [ -f f ] then y fi');
  });

  it('decides a branch from what is known, and leaves an if it cannot decide as written', () => {
    const words = wordsOf('a; if [ $M = lite ]; then L; elif [ $M = full ]; then F; else E; fi; if [ -n "$3" ]; then N; fi; b');
    const decide = (known: [string, KnownValue][]): string => texts(decideConditionals(words, conditionals(words, TEXT_OF.get(words)!), new Map(known)));
    assert.equal(decide([['M', { value: 'full' }]]), 'a F if [ -n $3 ] then N fi b');
    assert.equal(decide([['M', { value: 'other' }]]), 'a E if [ -n $3 ] then N fi b');
    // Only "none of lite, full" is known: the else runs.
    assert.equal(decide([['M', { noneOf: ['lite', 'full'] }]]), 'a E if [ -n $3 ] then N fi b');
    // "Not lite" alone does not say whether it is full.
    assert.equal(decide([['M', { noneOf: ['lite'] }]]), texts(words));
    // Known only from a later word on: not yet at the if.
    assert.equal(decide([['M', { value: 'full', since: words.length }]]), texts(words));
    const none = wordsOf('if [ $M = lite ]; then L; fi; b');
    assert.equal(takenBranch(conditionals(none, TEXT_OF.get(none)!)[0]!, new Map([['M', { value: 'full' }]])), null);
    assert.equal(texts(decideConditionals(none, conditionals(none, TEXT_OF.get(none)!), new Map([['M', { value: 'full' }]]))), 'b');
  });

  it('decides a numeric test on a known integer, and nothing on a word that is not one', () => {
    const text = 'if [ $N -gt 0 ]; then POS; fi; if [ $N -le 4 ]; then SMALL; fi';
    const words = wordsOf(text);
    assert.equal(texts(decideConditionals(words, conditionals(words, text), new Map([['N', { value: '60' }]]))), 'POS');
    assert.equal(texts(decideConditionals(words, conditionals(words, text), new Map([['N', { value: '0' }]]))), 'SMALL');
    assert.equal(texts(decideConditionals(words, conditionals(words, text), new Map([['N', { value: 'x' }]]))), texts(words));
    assert.equal(texts(decideConditionals(words, conditionals(words, text), new Map([['N', { noneOf: ['1'] }]]))), texts(words));
  });

  it('decides nested ifs inside the branch taken, and thousands of them without recursion', () => {
    const words = wordsOf('if [ $A = 1 ]; then if [ $B = 2 ]; then yes; else no; fi; fi');
    assert.equal(texts(decideConditionals(words, conditionals(words, TEXT_OF.get(words)!), new Map([['A', { value: '1' }], ['B', { value: '2' }]]))), 'yes');
    const depth = 20_000;
    const deep = wordsOf(`${'if [ $A = 1 ]; then '.repeat(depth)}core${'; fi'.repeat(depth)}`);
    assert.equal(texts(decideConditionals(deep, conditionals(deep, TEXT_OF.get(deep)!), new Map([['A', { value: '1' }]]))), 'core');
    assert.equal(decideConditionals(deep, conditionals(deep, TEXT_OF.get(deep)!), new Map([['A', { value: '0' }]])).length, 0);
  });

  it('reads case arms from the text between words: patterns up to `)`, bodies up to `;;`, `*` as else', () => {
    const text = 'case "$MODEL" in\n  lite) E=64; if [ -n "$X" ]; then Y; fi;;\n  "full") E=160 ;;\n  a|b) ;;\n  v*) G ;;\n  (*) echo bad; exit 1\nesac\nrun';
    const words = wordsOf(text);
    const [statement, nested] = conditionals(words, text);
    assert.equal(statement!.kind, 'case');
    assert.deepEqual(statement!.branches.map((b) => b.test), [{ variable: 'MODEL', value: 'lite', negated: false }, { variable: 'MODEL', value: 'full', negated: false }, 'opaque', 'opaque', undefined]);
    assert.deepEqual(statement!.branches.map((b) => texts(words.slice(b.bodyStart, b.bodyEnd))), ['E=64 if [ -n $X ] then Y fi', 'E=160', '', 'G', 'echo bad exit 1']);
    assert.equal(nested!.kind, 'if');
    assert.equal(texts(decideConditionals(words, conditionals(words, text), new Map([['MODEL', { value: 'full' }]]))), 'E=160 run');
    // `a|b)` may match: undecided from there on.
    assert.equal(texts(decideConditionals(words, conditionals(words, text), new Map([['MODEL', { value: 'a' }]]))), texts(words));
    // An argument loop's `case "$1" in` tests no variable MoE Lens can know.
    const loop = 'while [ $# -gt 0 ]; do\n  case "$1" in\n    --num-experts) E=$2; shift 2;;\n    *) shift;;\n  esac\ndone';
    assert.equal(conditionals(wordsOf(loop), loop)[0]!.branches[0]!.test, 'opaque');
  });

  it('reads `[ test ] && …` and `|| …` command lists as one-branch conditionals, up to a newline or `;`', () => {
    const text = '[ "$BIAS" = 1 ] && ARGS+=" --x" && B=2\n[[ $MODE == train ]] || EVAL=1; run\nif [ -f a ] && [ -f b ]; then c; fi';
    const words = wordsOf(text);
    const lists = conditionals(words, text).filter((s) => s.kind === 'test');
    assert.equal(lists.length, 2);
    assert.deepEqual(lists.map((l) => l.branches[0]!.test), [{ variable: 'BIAS', value: '1', negated: false }, { variable: 'MODE', value: 'train', negated: true }]);
    assert.deepEqual(lists.map((l) => texts(words.slice(l.branches[0]!.bodyStart, l.branches[0]!.bodyEnd))), ['ARGS+= --x B=2', 'EVAL=1']);
    assert.equal(texts(decideConditionals(words, conditionals(words, text), new Map([['BIAS', { value: '0' }], ['MODE', { value: 'train' }]]))), 'run if [ -f a ] [ -f b ] then c fi');
  });

  it('a branch exits when it runs exit itself, not when an if inside it does', () => {
    const words = wordsOf('echo bad; exit 1; if [ ! -d x ]; then exit 1; fi; run');
    assert.equal(exitsIn(words, TEXT_OF.get(words)!, 0, words.length), true);
    const guarded = wordsOf('if [ ! -d x ]; then exit 1; fi; [ -d "$D" ] || exit 1\nrun');
    assert.equal(exitsIn(guarded, TEXT_OF.get(guarded)!, 0, guarded.length), false);
  });

  it('a variable set once, outside any if, to a plain word is known from there on; otherwise not', () => {
    const text = 'A=1\nB=$2\nC=x\nC=y\nif [ -n "$1" ]; then D=3; fi\nE+=4\nF=f\n[ -z "$G" ] && export G=g\n';
    const words = wordsOf(text);
    const known = plainAssignments(words, conditionals(words, text));
    assert.deepEqual([...known.keys()], ['A', 'F']);
    assert.deepEqual(known.get('A'), { value: '1', since: 0 });
  });
});

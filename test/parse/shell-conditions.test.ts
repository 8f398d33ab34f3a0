import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideIfs, exitsIn, ifStatements, plainAssignments, takenBranch, type KnownValue } from '../../src/core/parse/shell-conditions';
import { shellWords } from '../../src/core/parse/shell-words';

const texts = (words: readonly { text: string }[]): string => words.map((w) => w.text).join(' ');

describe('launch-script if statements', () => {
  it('finds each if with its branches, nested ones after the one holding them', () => {
    const words = shellWords('if [ $A = 1 ]; then x; if [ -f f ]; then y; fi; elif [ "$A" != 2 ]; then z; else w; fi');
    const [outer, inner] = ifStatements(words);
    assert.deepEqual(outer!.branches.map((b) => b.test), [{ variable: 'A', value: '1', negated: false }, { variable: 'A', value: '2', negated: true }, undefined]);
    assert.equal(texts(words.slice(outer!.branches[2]!.bodyStart, outer!.branches[2]!.bodyEnd)), 'w');
    assert.equal(inner!.branches[0]!.test, 'opaque');
    assert.equal(texts(words.slice(inner!.start, inner!.end)), 'if [ -f f ] then y fi');
  });

  it('decides a branch from what is known, and leaves an if it cannot decide as written', () => {
    const words = shellWords('a; if [ $M = lite ]; then L; elif [ $M = full ]; then F; else E; fi; if [ -n "$3" ]; then N; fi; b');
    const decide = (known: [string, KnownValue][]): string => texts(decideIfs(words, new Map(known)));
    assert.equal(decide([['M', { value: 'full' }]]), 'a F if [ -n $3 ] then N fi b');
    assert.equal(decide([['M', { value: 'other' }]]), 'a E if [ -n $3 ] then N fi b');
    // Only "none of lite, full" is known: the else runs.
    assert.equal(decide([['M', { noneOf: ['lite', 'full'] }]]), 'a E if [ -n $3 ] then N fi b');
    // "Not lite" alone does not say whether it is full.
    assert.equal(decide([['M', { noneOf: ['lite'] }]]), texts(words));
    // Known only from a later word on: not yet at the if.
    assert.equal(decide([['M', { value: 'full', since: words.length }]]), texts(words));
    const none = shellWords('if [ $M = lite ]; then L; fi; b');
    assert.equal(takenBranch(ifStatements(none)[0]!, new Map([['M', { value: 'full' }]])), null);
    assert.equal(texts(decideIfs(none, new Map([['M', { value: 'full' }]]))), 'b');
  });

  it('decides nested ifs inside the branch taken, and thousands of them without recursion', () => {
    const words = shellWords('if [ $A = 1 ]; then if [ $B = 2 ]; then yes; else no; fi; fi');
    assert.equal(texts(decideIfs(words, new Map([['A', { value: '1' }], ['B', { value: '2' }]]))), 'yes');
    const depth = 20_000;
    const deep = shellWords(`${'if [ $A = 1 ]; then '.repeat(depth)}core${'; fi'.repeat(depth)}`);
    assert.equal(texts(decideIfs(deep, new Map([['A', { value: '1' }]]))), 'core');
    assert.equal(decideIfs(deep, new Map([['A', { value: '0' }]])).length, 0);
  });

  it('a branch exits when it runs exit itself, not when an if inside it does', () => {
    const words = shellWords('echo bad; exit 1; if [ ! -d x ]; then exit 1; fi; run');
    assert.equal(exitsIn(words, 0, words.length), true);
    const guarded = shellWords('if [ ! -d x ]; then exit 1; fi; run');
    assert.equal(exitsIn(guarded, 0, guarded.length), false);
  });

  it('a variable set once, outside any if, to a plain word is known from there on; otherwise not', () => {
    const known = plainAssignments(shellWords('A=1\nB=$2\nC=x\nC=y\nif [ -n "$1" ]; then D=3; fi\nE+=4\nF=f\n'));
    assert.deepEqual([...known.keys()], ['A', 'F']);
    assert.deepEqual(known.get('A'), { value: '1', since: 0 });
  });
});

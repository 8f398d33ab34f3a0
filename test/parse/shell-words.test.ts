import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { shellWords } from '../../src/core/parse/shell-words';

describe('shellWords', () => {
  it('removes a line continuation inside a word, as bash does (no space before the backslash)', () => {
    // NVIDIA/Megatron-LM @83f0eba examples/deepseek_v3/train_deepseekv3.sh l.305: `seq_aux_loss\` read as
    // "seq_aux_loss\n", a load-balancing type Megatron does not have.
    const text = '--moe-router-load-balancing-type seq_aux_loss\\\n    --moe-router-topk 8 \\\r\n  --tag "a\\\nb"\n';
    assert.deepEqual(shellWords(text).map((w) => w.text), ['--moe-router-load-balancing-type', 'seq_aux_loss', '--moe-router-topk', '8', '--tag', 'ab']);
  });

  it('keeps an arithmetic expansion or a command substitution one word, spaces and all, as bash does', () => {
    // THUDM/slime scripts/models/glm4.5-355B-A32B.sh @624b824 l.12.
    const text = '--num-layers $((N_DENSE_LAYERS + N_MOE_LAYERS)) --hidden-size 5120 --tag "$(date +%s)"x $(cat a | tr -d " ")\n';
    const words = shellWords(text).map((w) => [w.text, w.dynamic]);
    assert.deepEqual(words, [
      ['--num-layers', false],
      ['$((N_DENSE_LAYERS + N_MOE_LAYERS))', true],
      ['--hidden-size', false],
      ['5120', false],
      ['--tag', false],
      ['$(date +%s)x', true],
      ['$(cat a | tr -d " ")', true],
    ]);
  });

  it('reads an unclosed `$(` as before, and looks only so far for its `)`', () => {
    assert.deepEqual(shellWords('echo $( --num-experts 8').map((w) => w.text), ['echo', '$', '--num-experts', '8']);
    // A `)` further than a substitution is ever long closes nothing: the flags in between stay words of their own.
    const far = `$(echo ${'x'.repeat(600)} --num-experts 8 )`;
    assert.ok(shellWords(far).some((w) => w.text === '--num-experts'));
  });
});

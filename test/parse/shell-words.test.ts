import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { shellWords } from '../../src/core/parse/shell-words';

describe('shellWords', () => {
  it("skips a here-document `cat` prints (a usage text) and reads one fed to anything else, as before", () => {
    // A usage heredoc of a public MoE tuning script (sweep 34): its `--num-experts NUM` lines were read as flags.
    const usage = 'show_usage() {\n    cat << EOF\nUsage: $0 [OPTIONS]\n  -e, --num-experts NUM       Number of experts\n  $0 --num-experts 16 --topk 4\nEOF\n}\nrun --x 1\n';
    assert.deepEqual(shellWords(usage).map((w) => w.text), ['show_usage', '{', 'cat', '}', 'run', '--x', '1']);
    assert.deepEqual(shellWords("cat <<-'END'\n\t--num-experts 8\n\tEND\nnext\n").map((w) => w.text), ['cat', 'next'], '<<- strips tabs; a quoted delimiter');
    // To standard error (`>&2` duplicates a descriptor: still printed, and its `&` ends no command); `&>` writes a file.
    assert.deepEqual(shellWords('usage() {\n  cat >&2 <<EOF\n  --num-experts 8\nEOF\n}\n').map((w) => w.text), ['usage', '{', 'cat', '}']);
    assert.deepEqual(shellWords('cat 1>&2 <<EOF\n--num-experts 8\nEOF\nrun 2>&1\n').map((w) => w.text), ['cat', 'run']);
    assert.deepEqual(shellWords('cat &> job.sh <<EOF\n--num-experts 8\nEOF\n').map((w) => w.text), ['cat', '--num-experts', '8', 'EOF']);
    // A redirection's descriptor and file are no arguments: `2>&1 | tee` after a flag that takes several values gave it a
    // value `2`, which argparse would refuse (helper review Q); `< in.txt` and `2> err.log` likewise.
    assert.deepEqual(shellWords('torchrun a.py --moe-router-load-balancing-type aux_loss 2>&1 | tee log.txt\n').map((w) => w.text), ['torchrun', 'a.py', '--moe-router-load-balancing-type', 'aux_loss', 'tee', 'log.txt']);
    assert.deepEqual(shellWords('torchrun a.py --recompute-modules moe 2> err.log > out.log < in.txt\nnext\n').map((w) => w.text), ['torchrun', 'a.py', '--recompute-modules', 'moe', 'next']);
    assert.deepEqual(shellWords('run --x 12>y\n').map((w) => w.text), ['run', '--x'], 'a number right before > is a descriptor, as bash reads it');
    // Written to a file or fed to a scheduler, the body may be the launch.
    assert.deepEqual(shellWords('cat > job.sh <<EOF\n--num-experts 8\nEOF\n').map((w) => w.text), ['cat', '--num-experts', '8', 'EOF']);
    assert.deepEqual(shellWords('sbatch <<EOF\n--num-experts 8\nEOF\n').map((w) => w.text), ['sbatch', '--num-experts', '8', 'EOF']);
    // No delimiter line: nothing skipped, and the search is not repeated for every later here-document.
    assert.deepEqual(shellWords('cat <<EOF\n--num-experts 8\n').map((w) => w.text), ['cat', '--num-experts', '8']);
    const many = 'cat <<E\n--a 1\n'.repeat(50_000);
    const started = performance.now();
    assert.equal(shellWords(many).length, 150_000);
    assert.ok(performance.now() - started < 5_000, 'linear, not one search to the end per here-document');
  });

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

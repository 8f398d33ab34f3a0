import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { launchedPrograms, programWithOwnMoeFlags } from '../../src/core/parse/launched-program';

const OWN_PARSER = 'import argparse\nparser = argparse.ArgumentParser()\nparser.add_argument("--num-experts", type=int, default=1)\nparser.add_argument("--top-k", type=int, default=1)\n';
const SCRIPT = 'deepspeed --num_gpus=2 train_moe.py \\\n  --deepspeed --moe --num-experts 8 --top-k 2\n';

describe('a launch script running a program of its own', () => {
  const files: Record<string, string> = {
    'run/train_moe.py': OWN_PARSER,
    'run/megatron_fork.py': `from megatron.training import get_args\n${OWN_PARSER}`,
  };
  const read = (path: string): string | undefined => files[path];

  it('is that program\'s where the workspace holds it and its argparse defines the MoE flags', () => {
    assert.equal(programWithOwnMoeFlags(SCRIPT, 'run/launch.sh', read), 'run/train_moe.py');
    assert.equal(programWithOwnMoeFlags(SCRIPT.replace('train_moe.py', './sub/../train_moe.py'), 'run/launch.sh', read), 'run/train_moe.py');
  });

  it('stays Megatron\'s where the program imports Megatron, is a Megatron entry point, is not in the workspace, or the script changes folder', () => {
    assert.equal(programWithOwnMoeFlags(SCRIPT.replace('train_moe.py', 'megatron_fork.py'), 'run/launch.sh', read), undefined);
    assert.equal(programWithOwnMoeFlags(`${SCRIPT}python pretrain_gpt.py --num-experts 8\n`, 'run/launch.sh', read), undefined);
    assert.equal(programWithOwnMoeFlags(SCRIPT.replace('train_moe.py', 'missing.py'), 'run/launch.sh', read), undefined);
    assert.equal(programWithOwnMoeFlags(`cd /opt/other\n${SCRIPT}`, 'run/launch.sh', read), undefined);
  });

  it('finds the program in a command substitution\'s `cd` (a subshell\'s folder) and in a command run by `eval`', () => {
    const here = 'CURRENT_DIR="$( cd "$( dirname "$0" )" && pwd )"\n';
    assert.equal(programWithOwnMoeFlags(here + SCRIPT, 'run/launch.sh', read), 'run/train_moe.py');
    assert.equal(programWithOwnMoeFlags(`${here}(cd /opt/other && ls)\n${SCRIPT}`, 'run/launch.sh', read), undefined);
    assert.deepEqual(launchedPrograms(`${here}run_cmd="torchrun $DISTRIBUTED_ARGS pretrain_qwen.py --num-experts 8"\neval \${run_cmd}\n`, 'examples/qwen3/run.sh'), ['examples/qwen3/pretrain_qwen.py']);
  });
});

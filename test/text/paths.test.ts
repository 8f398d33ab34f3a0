import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileAbove } from '../../src/core/text/paths';

describe('fileAbove', () => {
  const files: Record<string, string> = { 'megatron_patch/utils.py': 'root', 'examples/megatron_patch/utils.py': 'examples', '/ws/megatron_patch/utils.py': 'absolute' };
  const read = (path: string): string | undefined => files[path];

  it('looks in the file\'s own folder first, then up', () => {
    assert.deepEqual(fileAbove('examples/qwen3/run.sh', 'megatron_patch/utils.py', read, 4), { path: 'examples/megatron_patch/utils.py', text: 'examples' });
    assert.deepEqual(fileAbove('/ws/examples/qwen3/run.sh', 'megatron_patch/utils.py', read, 4), { path: '/ws/megatron_patch/utils.py', text: 'absolute' });
  });

  it('reaches the top of a relative path (the CLI run from the checkout\'s root), never above an absolute one', () => {
    assert.deepEqual(fileAbove('other/qwen3/run.sh', 'megatron_patch/utils.py', read, 4), { path: 'megatron_patch/utils.py', text: 'root' });
    assert.deepEqual(fileAbove('run.sh', 'megatron_patch/utils.py', read, 4), { path: 'megatron_patch/utils.py', text: 'root' });
    assert.equal(fileAbove('/elsewhere/run.sh', 'megatron_patch/utils.py', read, 4), undefined);
    assert.equal(fileAbove('other/qwen3/run.sh', 'megatron_patch/utils.py', read, 2), undefined, 'depth counts the top too');
  });
});

import { ProjectIndex } from '../../src/core/project';
import { constructorDefaultMismatch } from '../../src/core/rules/MOE002-constructor-default-mismatch';
import { runRuleTests } from '../rule-tester';

const DATACLASS = '@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    top_k: int = 1\n    topk_before_score: bool = False\n';
const router = (value: string) =>
  `class TokenChoiceTopKRouter(nn.Module):\n    def __init__(self, dim: int, num_experts: int, top_k: int, topk_before_score: bool = ${value}):\n        super().__init__()\n`;

const otherFile = 'torchtitan/models/moe/args.py';
const project = new ProjectIndex();
project.setText(otherFile, DATACLASS);

runRuleTests(constructorDefaultMismatch, {
  valid: [
    { name: 'constructor default equals the dataclass default', file: 'moe.py', code: DATACLASS + router('False') },
    { name: 'constructor without a default', file: 'moe.py', code: DATACLASS + router('False').replace(' = False', '') },
    { name: 'a class sharing only one name with the dataclass', file: 'moe.py', code: `${DATACLASS}class Other:\n    def __init__(self, top_k: int = 9):\n        pass\n` },
    { name: 'matching across files', file: 'torchtitan/models/moe/moe.py', code: router('False'), project },
  ],
  invalid: [
    {
      name: 'router constructor says True while MoEArgs says False (same file)',
      file: 'moe.py',
      code: DATACLASS + router('True'),
      errors: [{ messageId: 'mismatch', text: 'True', severity: 'warning', includes: ['`topk_before_score` to True', '`MoEArgs.topk_before_score` defaults to False'] }],
      output: DATACLASS + router('False'),
    },
    {
      name: 'dataclass in another workspace file; the preferred fix aligns the constructor',
      file: 'torchtitan/models/moe/moe.py',
      code: router('True'),
      project,
      errors: [{ messageId: 'mismatch', text: 'True' }],
      output: router('False'),
    },
    {
      name: 'the other quick fix edits the dataclass side instead (no edit in this file)',
      file: 'moe.py',
      code: DATACLASS + router('True'),
      fixTitle: 'match the constructor',
      errors: [{ messageId: 'mismatch' }],
      output: DATACLASS.replace('topk_before_score: bool = False', 'topk_before_score: bool = True') + router('True'),
    },
  ],
});

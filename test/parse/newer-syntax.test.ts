/**
 * Python newer than @lezer/python 1.1.19 reads (src/core/parse/python/newer-syntax.ts): valid files were reported as
 * unparsable (LLaMA-Factory @ff6d4d1 cuda_fused_moe.py l.360, aiconfigurator @095f58a collect_moe.py l.760-769).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeTorchtitanPython } from '../../src/core/parse/torchtitan-python';
import { nodeText, parsePython } from '../../src/core/parse/python/syntax';

const specsOf = (text: string) => analyzeTorchtitanPython(text, 'torchtitan/models/gpt_oss/__init__.py').specs;

describe('Python newer than Lezer reads', () => {
  it('reads what sweep 35 found reported as unparsable in valid files: print as a name, a bare yield, a with target that is a member, a case over lines', () => {
    const valid = [
      // pytorch-labs/gpt-fast @32971d3 generate.py l.302: rank-0 printing.
      'def main(rank):\n    global print\n    if rank != 0:\n        print = lambda *args, **kwargs: None\n',
      'print += 1\nprint, a = 1, 2\nprint: int = 1\nprint("still a call", x == 1)\n',
      // veScale / axlearn: a bare `yield`, also before a comment.
      'def ctx():\n    setup()\n    yield  # done\n    teardown()\n    yield\n',
      // axlearn: `with … as cfg.dir:`, `as d[0]:`.
      'with tempfile.TemporaryDirectory() as cfg.dir:\n    pass\nwith open(a) as d[0]:\n    pass\n',
      // exo-explore/exo @b5375f8 src/exo/api/adapters/responses.py l.197-201.
      'match item:\n    case (\n        FunctionCallInputItem()\n        | McpCallInputItem()\n    ):\n        pass\n    case (A()\n          | B()):\n        pass\n',
    ];
    for (const text of valid) {
      const full = `${text}def build():\n    return MoEArgs(num_experts=8, top_k=2)\n`;
      assert.deepEqual(parsePython(full).errorRanges, [], text);
      assert.equal(specsOf(full)[0]?.experts.value, 8, text);
    }
    // The name is read as written: `print` (the copy Lezer read says `_rint`).
    const text = 'print = 1\n';
    const target = parsePython(text).tree.topNode.firstChild!.firstChild!;
    assert.equal(nodeText(text, target), 'print');
  });

  it('reads a decorator of any expression (PEP 614) as a decorator, and what it decorates', () => {
    for (const decorator of ['@KernelPlugin("cuda_fused_moe").register()', '@a.b[0].c', '@x.y(1)(2)  # two calls', '@Plugin(\n    "a)",\n).register(b"""\n""")']) {
      const text = `${decorator}\ndef build():\n    return MoEArgs(num_experts=8, top_k=2)\n`;
      const parsed = parsePython(text);
      assert.deepEqual(parsed.errorRanges, [], decorator);
      const statement = parsed.tree.topNode.firstChild!;
      assert.equal(statement.name, 'DecoratedStatement', decorator);
      assert.equal(statement.lastChild!.name, 'FunctionDefinition', decorator);
      // Read against the text as written: the decorator's name is where it is written.
      const name = statement.getChild('Decorator')!.getChild('VariableName')!;
      assert.equal(nodeText(text, name), decorator.slice(1, name.to), decorator);
      const [spec] = specsOf(text);
      assert.equal(spec?.experts.value, 8, decorator);
    }
  });

  it('reads a parenthesised `with` (Python 3.10), one item per line, comments and a trailing comma included', () => {
    const text =
      'def collect():\n' +
      '    with (\n' +
      '        set_forward_context({}, config),  # one\n' +
      '        benchmark(\n' +
      '            runs=3,\n' +
      '        ) as results, \\\n' +
      '        open("a)") as f,\n' +
      '    ):\n' +
      '        return MoEArgs(num_experts=16, top_k=4)\n' +
      'async def later():\n' +
      '    async with (lock() as a, other()):\n' +
      '        pass\n';
    // Windows line ends read the same.
    assert.deepEqual(parsePython(text.replace(/\n/g, '\r\n')).errorRanges, []);
    const continued = '@a.b[0] \\\r\n    .c(1)\r\ndef f():\r\n    pass\r\n';
    assert.deepEqual(parsePython(continued).errorRanges, [], continued);
    const parsed = parsePython(text);
    assert.deepEqual(parsed.errorRanges, []);
    const withStatement = parsed.tree.topNode.firstChild!.getChild('Body')!.getChild('WithStatement')!;
    assert.deepEqual(withStatement.getChildren('VariableName').map((n) => nodeText(text, n)), ['results', 'f']);
    // The comment inside the parentheses is blanked for Lezer; the rest of the file is read as written.
    assert.equal(specsOf(text)[0]?.topK.value, 4);
    // A tuple in parentheses (no `as` inside) was always read, and is left as it is.
    assert.equal(parsePython('with (a, b):\n    pass\n').tree.topNode.firstChild!.getChild('TupleExpression')?.name, 'TupleExpression');
  });

  it('reads a parenthesised tuple target of a `with` item (GPTQModel @f4c327a gptqmodel/utils/model.py l.1204, unsloth)', () => {
    const text =
      'with ctx(ThreadPoolExecutor(4), log.pb(names).manual()) as (executor, pb):\n    pass\n' +
      'with self._open_stream(url, payload) as (\n    response,\n    first_token_deadline,  # c\n):\n    pass\n' +
      'def build():\n    with a() as (x, y), b() as z:\n        return MoEArgs(num_experts=8, top_k=2)\n';
    assert.deepEqual(parsePython(text).errorRanges, []);
    assert.equal(specsOf(text)[0]?.topK.value, 2);
    // Still broken: parentheses after `as` that never close, or followed by neither `:` nor `,`.
    assert.equal(parsePython('with a as (x, y\n    pass\n').errorRanges.length > 0, true);
    assert.equal(parsePython('with a as (x, y) z:\n    pass\n').errorRanges.length > 0, true);
  });

  it('reads `match` headers Lezer does not (a tuple subject, open sequence and empty list patterns) and a starred comprehension target', () => {
    // NeMo @8cfedd7 rnnt_malsd_batched_computer.py l.616 (a tuple subject), its tests' `case []:`; Megatron-LM
    // @d98e8a6 torch_sampling.py l.210 (`for indices, *_ in buckets` in a comprehension).
    const text =
      'class C:\n' +
      '    def f(self):\n' +
      '        match self.a, self.b:  # two modes\n' +
      '            case 1, 2:\n' +
      '                return MoEArgs(num_experts=16, top_k=4)\n' +
      '            case [] if {"k": 1}:\n' +
      '                raise ValueError("empty: case")\n' +
      '        return [list(i) for i, *_ in self.rows]\n' +
      'moe = MoEArgs(num_experts=8, top_k=2)\n';
    assert.deepEqual(parsePython(text).errorRanges, []);
    assert.equal(specsOf(text).find((s) => s.name === 'moe')?.topK.value, 2);
    // `match` and `case` as names are Python too, and are not touched.
    assert.deepEqual(parsePython('match = case = 1\nmatch(x, y)\n').errorRanges, []);
    // A header is read as `_` whatever it holds (MoE Lens reads no pattern): what follows it is read as written.
    assert.equal(specsOf('match x:\n    case 1 2:\n        pass\nmoe = MoEArgs(num_experts=8, top_k=2)\n')[0]?.topK.value, 2);
    assert.notDeepEqual(parsePython('match x:\n    case 1:\n        y = (1 +)\n').errorRanges, [], 'an error in a case body is still one');
  });

  it("reads `=` as an f-string format spec's fill (InternLM/lmdeploy @1263d5c benchmark/benchmark_guided.py l.326)", () => {
    const text = "print(f'{title:=^{width}}')\nx = f\"{a.b:=>10}\"\nmoe = MoEArgs(num_experts=8, top_k=2)\n";
    assert.deepEqual(parsePython(text).errorRanges, []);
    assert.equal(specsOf(text)[0]?.topK.value, 2);
    // A walrus in parentheses is one, and stays as written.
    assert.deepEqual(parsePython("print(f'{(n := 10)}')\n").errorRanges, []);
  });

  it('still reports Python that is broken, and never blanks past it', () => {
    const broken = [
      ['@foo bar\ndef f():\n    pass\n', 'a decorator name followed by a name'],
      ['@broken(\ndef f():\n    pass\nx = MoEArgs(num_experts=8, top_k=2)\n', 'a decorator whose parenthesis never closes'],
      ['with (a as b c):\n    pass\n', 'two items without a comma'],
      ['with (a as b):\n    x = (1 +)\n', 'an error in the body'],
      ['with (\n    a as b,\n    c as d\nx = MoEArgs(num_experts=8, top_k=2)\n', 'a parenthesis that never closes'],
    ] as const;
    for (const [text, what] of broken) assert.notDeepEqual(parsePython(text).errorRanges, [], what);
    // The config after the unclosed decorator is still read.
    assert.equal(specsOf(broken[1][0])[0]?.experts.value, 8);
    assert.equal(specsOf(broken[4][0])[0]?.experts.value, 8);
  });
});

/**
 * Load-balancing simulation (issue #11 item 3): the TypeScript steps against an independent NumPy simulation
 * written from each framework's bias update (scripts/reference/balancing_reference.py), the rule each config
 * gets, and what the dynamics must do.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeDocument } from '../../src/core/analyze';
import { BalancingSimulation, biasUpdateFor, choiceValues } from '../../src/core/router/balancing';
import { topKInto } from '../../src/core/router/cpu-router';
import { routerConfigFromSpec, type RouterConfig } from '../../src/core/router/router-config';

interface Case {
  name: string;
  experts: number;
  topK: number;
  hidden: number;
  tokens: number;
  scoreFunc: 'softmax' | 'sigmoid';
  kind: 'sign' | 'sign-centred';
  rate: number;
  groups: { count: number; selected: number } | null;
  gateWeight: number[];
  batches: number[][];
  counts: number[][];
  bias: number[][];
}

const vectors = JSON.parse(readFileSync(resolve(import.meta.dirname, '../fixtures/balancing-vectors.json'), 'utf8')) as { cases: Case[] };

function configOf(c: Case): RouterConfig {
  return {
    experts: c.experts,
    topK: c.topK,
    order: 'score-then-topk',
    scoreFunc: c.scoreFunc,
    routerBias: false,
    selectionBias: true,
    ...(c.groups ? { groups: { ...c.groups, score: 'top2-sum' as const } } : {}),
    normalize: false,
    epsilon: 1e-20,
    scale: 1,
    roundRobin: false,
    semantics: c.name,
  };
}

describe('balancing simulation: parity with the NumPy reference', () => {
  for (const c of vectors.cases) {
    it(`${c.name}: the same tokens per expert at every step, the same bias after it`, () => {
      const config = configOf(c);
      const batches = c.batches.map((x) => choiceValues(config, { tokens: c.tokens, hidden: c.hidden, hiddenStates: x, gateWeight: c.gateWeight }));
      const sim = new BalancingSimulation(config, { kind: c.kind, rate: c.rate, rateSource: 'test', source: 'test' }, batches);
      for (let s = 0; s < c.counts.length; s++) {
        const step = sim.step();
        assert.deepEqual(Array.from(step.counts), c.counts[s], `step ${s + 1}`);
        for (let e = 0; e < c.experts; e++) assert.ok(Math.abs(step.bias[e]! - c.bias[s]![e]!) < 1e-12, `step ${s + 1} expert ${e}: ${step.bias[e]} vs ${c.bias[s]![e]}`);
      }
    });
  }
  it('the reference cases are skewed at first and balance later (the test is not vacuous)', () => {
    for (const c of vectors.cases) {
      const ratio = (counts: number[]): number => Math.max(...counts) / (counts.reduce((a, b) => a + b, 0) / counts.length);
      const mean = (steps: number[][]): number => steps.map(ratio).reduce((a, b) => a + b, 0) / steps.length;
      // Small batches fluctuate step to step: compare the first steps with the last ten on average.
      const first = mean(c.counts.slice(0, 3));
      const last = mean(c.counts.slice(-10));
      assert.ok(first > 1.5 && last < first, `${c.name}: max/mean ${first.toFixed(2)} → ${last.toFixed(2)}`);
    }
  });
});

describe('balancing simulation: dynamics', () => {
  const c = vectors.cases[0]!;
  const config = configOf(c);
  const batches = c.batches.map((x) => choiceValues(config, { tokens: c.tokens, hidden: c.hidden, hiddenStates: x, gateWeight: c.gateWeight }));

  it("torchtitan's centred update keeps the bias summing to zero; Megatron's does not", () => {
    const centred = new BalancingSimulation(config, { kind: 'sign-centred', rate: 1e-3, rateSource: '', source: '' }, batches);
    const plain = new BalancingSimulation(config, { kind: 'sign', rate: 1e-3, rateSource: '', source: '' }, batches);
    let drift = 0;
    for (let s = 0; s < 25; s++) {
      const a = centred.step();
      const b = plain.step();
      assert.ok(Math.abs(a.bias.reduce((x, y) => x + y, 0)) < 1e-12);
      drift = Math.max(drift, Math.abs(b.bias.reduce((x, y) => x + y, 0)));
    }
    assert.ok(drift > 1e-4, `the plain sign rule moved the bias sum by ${drift}`);
  });

  it('starts from a given bias (a checkpoint\'s) and a zero rate leaves it there', () => {
    const start = Array.from({ length: c.experts }, (_, e) => e * 0.01);
    const sim = new BalancingSimulation(config, { kind: 'sign', rate: 0, rateSource: '', source: '' }, batches, start);
    const step = sim.step();
    assert.deepEqual(Array.from(step.bias), start);
    assert.equal(sim.stepsDone, 1);
  });

  it('refuses batches that are not [tokens, experts]', () => {
    assert.throws(() => new BalancingSimulation(config, { kind: 'sign', rate: 1e-3, rateSource: '', source: '' }, [new Float64Array(c.experts + 1)]), /tokens, experts/);
  });
});

describe('topKInto', () => {
  it('matches a full sort, largest first, ties to the lower index', () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(random() * 40);
      const values = Array.from({ length: n }, () => Math.floor(random() * 8));
      const k = 1 + Math.floor(random() * n);
      const out = new Int32Array(k);
      topKInto(values, k, out);
      const expected = values.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, k).map(([, i]) => i);
      assert.deepEqual(Array.from(out), expected, `values ${values.join(',')} k ${k}`);
    }
  });
});

describe('the bias update rule each config gets', () => {
  const spec = (file: string, text: string) => analyzeDocument(file, text).specs[0]!;

  it('torchtitan: the centred sign rule at the written load_balance_coeff', () => {
    const result = biasUpdateFor(spec('flavors.py', 'from torchtitan.models.moe import MoEArgs\n\nmoe = MoEArgs(num_experts=8, top_k=2, score_func="sigmoid", load_balance_coeff=0.01)\n'));
    assert.ok('rule' in result, JSON.stringify(result));
    assert.equal(result.rule.kind, 'sign-centred');
    assert.equal(result.rule.rate, 0.01);
    assert.match(result.rule.source, /optimizer\.py @b5bcd76/);
  });

  it('Megatron: the plain sign rule at --moe-router-bias-update-rate, or its default 1e-3', () => {
    const written = biasUpdateFor(spec('train.sh', 'torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 8 --moe-router-score-function sigmoid --moe-router-enable-expert-bias --moe-router-bias-update-rate 2e-3\n'));
    assert.ok('rule' in written, JSON.stringify(written));
    assert.deepEqual([written.rule.kind, written.rule.rate], ['sign', 2e-3]);
    const unwritten = biasUpdateFor(spec('train.sh', 'torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 8 --moe-router-score-function sigmoid --moe-router-enable-expert-bias\n'));
    assert.ok('rule' in unwritten, JSON.stringify(unwritten));
    assert.equal(unwritten.rule.rate, 1e-3);
    assert.match(unwritten.rule.rateSource, /transformer_config\.py @d98e8a6 l\.821/);
  });

  it('a rate written as a shell variable is not assumed', () => {
    const result = biasUpdateFor(spec('train.sh', 'torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 8 --moe-router-score-function sigmoid --moe-router-enable-expert-bias --moe-router-bias-update-rate $RATE\n'));
    assert.ok('unavailable' in result);
  });

  it('HF DeepSeek-V3: the paper\'s rule at γ = 0.001', () => {
    const result = biasUpdateFor(spec('config.json', '{"model_type": "deepseek_v3", "n_routed_experts": 256, "num_experts_per_tok": 8, "n_group": 8, "topk_group": 4, "scoring_func": "sigmoid", "topk_method": "noaux_tc", "norm_topk_prob": true}'));
    assert.ok('rule' in result, JSON.stringify(result));
    assert.match(result.rule.source, /2412\.19437/);
  });

  it('a router without a selection bias has nothing to balance', () => {
    const result = biasUpdateFor(spec('config.json', '{"model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 2}'));
    assert.ok('unavailable' in result);
  });

  it('routes with a real config: the first step of a skewed router is unbalanced, later ones less so', () => {
    const c = vectors.cases[0]!;
    const batches = c.batches.map((x) => choiceValues(configOf(c), { tokens: c.tokens, hidden: c.hidden, hiddenStates: x, gateWeight: c.gateWeight }));
    const torchtitan = spec('flavors.py', 'from torchtitan.models.moe import MoEArgs\n\nmoe = MoEArgs(num_experts=16, top_k=2, score_func="sigmoid", load_balance_coeff=0.01)\n');
    const rule = biasUpdateFor(torchtitan);
    const config = routerConfigFromSpec(torchtitan);
    assert.ok('rule' in rule && 'config' in config);
    assert.equal(config.config.selectionBias, true);
    const sim = new BalancingSimulation(config.config, rule.rule, batches);
    const first = sim.step();
    let late = 0;
    for (let s = 0; s < 60; s++) late += s >= 50 ? sim.step().maxOverMean / 10 : (sim.step(), 0);
    assert.ok(late < first.maxOverMean, `${first.maxOverMean} → ${late}`);
  });
});

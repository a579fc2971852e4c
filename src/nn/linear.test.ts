import { describe, expect, test } from 'vitest';
import { defineGraph } from '../engine/graph.ts';
import { evaluate } from '../engine/runtime/reference.ts';
import { input } from '../engine/tensor.ts';
import { Rng } from '../util/rng.ts';
import { paramInputs } from './context.ts';
import { linear } from './linear.ts';
import { gradCheck } from './testing/grad-check.ts';
import { leaves, maxRelDiff, paramFeeds } from './testing/feeds.ts';

describe('linear', () => {
  test('init: shapes and PyTorch bound 1/√in', () => {
    const p = linear.init(new Rng(1), 16, 3);
    expect(p.w.shape).toEqual([16, 3]);
    expect(p.b!.shape).toEqual([3]);
    expect(Math.max(...p.w.data.map(Math.abs))).toBeLessThanOrEqual(0.25);
    expect(linear.init(new Rng(1), 4, 2, { bias: false }).b).toBeUndefined();
  });

  test('output equals x·w + b computed by hand', () => {
    const rng = new Rng(2);
    const host = linear.init(rng, 3, 2);
    const p = paramInputs(host);
    const x = input('x', [2, 4, 3]);
    const xs = rng.normalArray(24);
    const out = evaluate(defineGraph([x, ...leaves(p)], { y: linear.apply(p, x) }), {
      x: xs,
      ...paramFeeds(host),
    }).y;
    expect(out.shape).toEqual([2, 4, 2]);
    const want = new Float64Array(16);
    for (let r = 0; r < 8; r++)
      for (let o = 0; o < 2; o++) {
        let s = host.b!.data[o];
        for (let i = 0; i < 3; i++) s += xs[r * 3 + i] * host.w.data[i * 2 + o];
        want[r * 2 + o] = s;
      }
    expect(maxRelDiff(out.data, want)).toBeLessThan(1e-6);
  });

  test('gradients match finite differences', () => {
    const rng = new Rng(3);
    const host = linear.init(rng, 3, 2);
    const p = paramInputs(host);
    const x = input('x', [2, 2, 3]);
    const ins = [x, ...leaves(p)];
    const report = gradCheck(ins, linear.apply(p, x), { x: rng.normalArray(12), ...paramFeeds(host) });
    for (const v of Object.values(report)) expect(v).toBeLessThan(1e-6);
  });
});

import { expect, test } from 'vitest';
import { input } from '../engine/tensor.ts';
import { Rng } from '../util/rng.ts';
import { paramInputs } from './context.ts';
import { layerNorm } from './layer-norm.ts';
import { gradCheck } from './testing/grad-check.ts';
import { leaves, maxRelDiff, paramFeeds, runReference } from './testing/feeds.ts';

test('layerNorm: init ones/zeros, output equals (x − μ)/√(σ² + ε)·γ + β', () => {
  const rng = new Rng(1);
  const host = layerNorm.init(4);
  expect(Array.from(host.gamma.data)).toEqual([1, 1, 1, 1]);
  expect(Array.from(host.beta.data)).toEqual([0, 0, 0, 0]);
  host.gamma.data.set(rng.normalArray(4));
  host.beta.data.set(rng.normalArray(4));
  const p = paramInputs(host);
  const x = input('x', [3, 4]);
  const xs = rng.normalArray(12);
  const y = runReference([x, ...leaves(p)], { y: layerNorm.apply(p, x) }, { x: xs, ...paramFeeds(host) }).y;
  const want = new Float64Array(12);
  for (let r = 0; r < 3; r++) {
    const row = Array.from(xs.subarray(r * 4, r * 4 + 4));
    const mu = row.reduce((a, b) => a + b) / 4;
    const v = row.reduce((a, b) => a + (b - mu) ** 2, 0) / 4;
    row.forEach(
      (xv, j) =>
        (want[r * 4 + j] = ((xv - mu) / Math.sqrt(v + 1e-5)) * host.gamma.data[j] + host.beta.data[j]),
    );
  }
  expect(maxRelDiff(y.data, want)).toBeLessThan(1e-6);
});

test('layerNorm: gradients match finite differences', () => {
  const rng = new Rng(2);
  const host = layerNorm.init(5);
  host.gamma.data.set(rng.normalArray(5));
  const p = paramInputs(host);
  const x = input('x', [2, 3, 5]);
  const report = gradCheck([x, ...leaves(p)], layerNorm.apply(p, x), {
    x: rng.normalArray(30),
    ...paramFeeds(host),
  });
  for (const v of Object.values(report)) expect(v).toBeLessThan(1e-6);
});

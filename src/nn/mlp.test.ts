import { expect, test } from 'vitest';
import { input } from '../engine/tensor.ts';
import { Rng } from '../util/rng.ts';
import { batchNorm } from './batch-norm.ts';
import { Ctx, paramInputs } from './context.ts';
import { layerNorm } from './layer-norm.ts';
import { linear } from './linear.ts';
import { mlp } from './mlp.ts';
import { parameterCount } from './parameter-count.ts';
import { gradCheck } from './testing/grad-check.ts';
import { leaves, maxRelDiff, paramFeeds, runReference } from './testing/feeds.ts';

test('mlp 784-1024-1024-10 (benchmark a) has 1,863,690 parameters', () => {
  expect(parameterCount(mlp.init(new Rng(0), [784, 1024, 1024, 10]))).toBe(1_863_690);
});

test('mlp = linear → norm → activation per hidden layer, plain last linear', () => {
  const rng = new Rng(13);
  for (const norm of ['none', 'layer', 'batch'] as const) {
    const host = mlp.init(rng, [3, 5, 4, 2], { norm });
    expect(host.layers.map((l) => !!l.norm)).toEqual(
      norm === 'none' ? [false, false, false] : [true, true, false],
    );
    const p = paramInputs(host, 'mlp');
    const x = input('x', [6, 3]);
    const ctx = new Ctx(true);
    for (const activation of ['relu', 'gelu', 'selu'] as const) {
      const y = mlp.apply(p, x, ctx, { activation });
      let h = x;
      p.layers.forEach((l, i) => {
        h = linear.apply(l.linear, h);
        if (i === 2) return;
        if (norm === 'layer') h = layerNorm.apply(l.norm as never, h);
        if (norm === 'batch') h = batchNorm.apply(l.norm as never, h, new Ctx(true));
        h =
          activation === 'relu'
            ? h.relu()
            : activation === 'gelu'
              ? h.mul(h.mul(Math.SQRT1_2).erf().add(1)).mul(0.5)
              : h.relu().add(h.minimum(0).exp().sub(1).mul(1.6732632423543772)).mul(1.0507009873554805);
      });
      const feeds = { x: rng.normalArray(18), ...paramFeeds(host, 'mlp') };
      const r = runReference([x, ...leaves(p)], { y, h }, feeds);
      // The GELU primitive is exact in float64; the hand-built formula's constants (½, 1/√2) are float32.
      expect(maxRelDiff(r.y.data, r.h.data)).toBeLessThan(activation === 'gelu' ? 1e-7 : 1e-12);
    }
    if (norm === 'batch') expect(ctx.updates.size).toBe(4);
  }
});

test('mlp gradients match finite differences (with BatchNorm, GELU)', () => {
  const rng = new Rng(14);
  const host = mlp.init(rng, [3, 4, 2], { norm: 'batch' });
  const p = paramInputs(host, 'mlp');
  const x = input('x', [5, 3]);
  const feeds = { x: rng.normalArray(15), ...paramFeeds(host, 'mlp') };
  const wrt = leaves(p).filter((t) => !t.name!.includes('running'));
  const report = gradCheck([x, ...leaves(p)], mlp.apply(p, x, new Ctx(true), { activation: 'gelu' }), feeds, [
    x,
    ...wrt,
  ]);
  for (const [k, v] of Object.entries(report)) expect(v, k).toBeLessThan(1e-6);
});

test('mlp dropout: one fed mask per hidden layer in training', () => {
  const p = paramInputs(mlp.init(new Rng(15), [3, 4, 4, 2]));
  const ctx = new Ctx(true);
  mlp.apply(p, input('x', [2, 3]), ctx, { dropout: 0.5 });
  expect(ctx.randomInputs.map((r) => r.tensor.shape)).toEqual([
    [2, 4],
    [2, 4],
  ]);
});

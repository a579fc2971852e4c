import { expect, test } from 'vitest';
import { gelu } from '../engine/functional/index.ts';
import { input } from '../engine/tensor.ts';
import { Rng } from '../util/rng.ts';
import { attention } from './attention.ts';
import { Ctx, paramInputs } from './context.ts';
import { layerNorm } from './layer-norm.ts';
import { linear } from './linear.ts';
import { transformerBlock } from './transformer-block.ts';
import { gradCheck } from './testing/grad-check.ts';
import { leaves, maxRelDiff, paramFeeds, runReference } from './testing/feeds.ts';

function setup(seed: number) {
  const rng = new Rng(seed);
  const host = transformerBlock.init(rng, 4, 8);
  for (const ln of [host.ln1, host.ln2]) {
    ln.gamma.data.set(rng.normalArray(4));
    ln.beta.data.set(rng.normalArray(4));
  }
  const p = paramInputs(host, 'block');
  const x = input('x', [2, 3, 4]);
  return {
    p,
    x,
    ins: [x, ...leaves(p)],
    feeds: { x: rng.normalArray(x.size), ...paramFeeds(host, 'block') },
  };
}

test('transformer block = x + attn(ln1(x)), then + fc2(gelu(fc1(ln2(·)))) (pre-norm)', () => {
  const { p, x, ins, feeds } = setup(10);
  const ctx = new Ctx(false);
  const y = transformerBlock.apply(p, x, { heads: 2, causal: true }, ctx);
  const h = x.add(attention.apply(p.attn, layerNorm.apply(p.ln1, x), { heads: 2, causal: true }));
  const want = h.add(linear.apply(p.fc2, gelu(linear.apply(p.fc1, layerNorm.apply(p.ln2, h)))));
  const r = runReference(ins, { y, want }, feeds);
  expect(maxRelDiff(r.y.data, r.want.data)).toBeLessThan(1e-12);
});

test('transformer block gradients match finite differences', () => {
  const { p, x, ins, feeds } = setup(11);
  const report = gradCheck(
    ins,
    transformerBlock.apply(p, x, { heads: 2, causal: true }, new Ctx(false)),
    feeds,
    undefined,
    { samples: 4 },
  );
  for (const [k, v] of Object.entries(report)) expect(v, k).toBeLessThan(1e-6);
});

test('transformer block dropout: two fed masks in training, none in eval', () => {
  const { p, x } = setup(12);
  const ctx = new Ctx(true);
  transformerBlock.apply(p, x, { heads: 2, dropout: 0.2 }, ctx);
  expect(ctx.randomInputs).toHaveLength(2);
});

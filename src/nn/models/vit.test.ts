import { expect, test } from 'vitest';
import { input } from '../../engine/tensor.ts';
import { Rng } from '../../util/rng.ts';
import { Ctx, paramInputs } from '../context.ts';
import { conv2d } from '../conv2d.ts';
import { linear } from '../linear.ts';
import { parameterCount } from '../parameter-count.ts';
import { gradCheck } from '../testing/grad-check.ts';
import { ortVsReference } from '../testing/ort-check.ts';
import { leaves, maxRelDiff, paramFeeds, runReference } from '../testing/feeds.ts';
import { patchify, vit } from './vit.ts';

/** Parameters of a ViT by formula: patch linear, cls, pos, blocks (2 LN, qkv, proj, fc1, fc2), final LN, head. */
function vitCount(c: number, p: number, n: number, d: number, depth: number, m: number, out: number) {
  const block = 4 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * m + m) + (m * d + d);
  return c * p * p * d + d + d + (n + 1) * d + depth * block + 2 * d + d * out + out;
}

test('ViT-tiny (benchmark c: 32 px, patch 4, width 192, depth 6, 3 heads, MLP 768, 10 classes) parameter count', () => {
  const m = vit({ image: 32, patch: 4, width: 192, depth: 6, heads: 3, mlp: 768, outDim: 10 });
  const host = m.init(new Rng(0));
  expect(parameterCount(host)).toBe(vitCount(3, 4, 64, 192, 6, 768, 10));
  expect(parameterCount(host)).toBe(2_693_578);
  expect(m.apply(paramInputs(host), input('x', [2, 3, 32, 32]), new Ctx(true)).shape).toEqual([2, 10]);
});

test('patchify + linear computes the same function as a stride-p conv', () => {
  const rng = new Rng(30);
  const [c, p, d] = [2, 2, 3];
  const host = linear.init(rng, c * p * p, d);
  const conv = { w: { shape: [d, c, p, p], data: new Float32Array(d * c * p * p) }, b: host.b! };
  for (let o = 0; o < d; o++)
    for (let r = 0; r < c * p * p; r++) conv.w.data[o * c * p * p + r] = host.w.data[r * d + o];
  const lp = paramInputs(host, 'lin');
  const cp = paramInputs(conv, 'conv');
  const x = input('x', [2, c, 4, 6]);
  const viaLinear = linear.apply(lp, patchify(x, p)).reshape([2, 2, 3, d]).transpose([0, 3, 1, 2]);
  const viaConv = conv2d.apply(cp, x, { stride: p });
  const r = runReference(
    [x, ...leaves(lp), ...leaves(cp)],
    { viaLinear, viaConv },
    { x: rng.normalArray(x.size), ...paramFeeds(host, 'lin'), ...paramFeeds(conv, 'conv') },
  );
  expect(maxRelDiff(r.viaLinear.data, r.viaConv.data)).toBeLessThan(1e-12);
});

for (const pool of ['cls', 'mean'] as const) {
  test(`tiny ViT (pool ${pool}) gradients match finite differences`, () => {
    const m = vit({ image: 4, patch: 2, channels: 2, width: 4, depth: 1, heads: 2, mlp: 6, outDim: 3, pool });
    const rng = new Rng(31);
    const host = m.init(rng);
    const p = paramInputs(host);
    const x = input('x', [2, 2, 4, 4]);
    const feeds = { x: rng.normalArray(x.size), ...paramFeeds(host) };
    const report = gradCheck([x, ...leaves(p)], m.apply(p, x, new Ctx(false)), feeds, leaves(p), {
      samples: 3,
    });
    for (const [k, v] of Object.entries(report)) expect(v, k).toBeLessThan(1e-6);
  });
}

test('small ViT forward and gradients on ONNX Runtime equal the float64 reference', async () => {
  const m = vit({ image: 8, patch: 4, width: 8, depth: 2, heads: 2, mlp: 16, outDim: 5 });
  const rng = new Rng(32);
  const host = m.init(rng);
  const p = paramInputs(host, 'image');
  const x = input('x', [3, 3, 8, 8]);
  const ins = [x, ...leaves(p)];
  const outputs = { y: m.apply(p, x, new Ctx(false)) };
  const feeds = { x: rng.normalArray(x.size), ...paramFeeds(host, 'image') };
  const diffs = await ortVsReference(ins, outputs, feeds, leaves(p));
  expect(Object.keys(diffs)).toHaveLength(1 + leaves(p).length);
  for (const [k, v] of Object.entries(diffs)) expect(v, k).toBeLessThan(1e-4);
});

test('vit rejects images of the wrong size and heads that do not divide the width', () => {
  const m = vit({ image: 8, patch: 4, width: 8, depth: 1, heads: 2 });
  const p = paramInputs(m.init(new Rng(0)));
  expect(() => m.apply(p, input('x', [2, 3, 16, 16]), new Ctx(false))).toThrow(
    /expected images \[B, 3, 8, 8\]/,
  );
  expect(() => vit({ image: 8, patch: 4, width: 8, depth: 1, heads: 3 })).toThrow(/heads must divide width/);
});

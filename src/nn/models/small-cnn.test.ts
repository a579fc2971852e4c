import { expect, test } from 'vitest';
import { input } from '../../engine/tensor.ts';
import { Rng } from '../../util/rng.ts';
import { Ctx, paramInputs } from '../context.ts';
import { conv2d } from '../conv2d.ts';
import { linear } from '../linear.ts';
import { parameterCount } from '../parameter-count.ts';
import { gradCheck } from '../testing/grad-check.ts';
import { leaves, maxRelDiff, paramFeeds, runReference } from '../testing/feeds.ts';
import { smallCnn } from './small-cnn.ts';

test('benchmark CNN (b): 94,538 parameters; [B, 3, 32, 32] -> [B, 10]', () => {
  const m = smallCnn({ outDim: 10 });
  const host = m.init(new Rng(0));
  expect(parameterCount(host)).toBe(94_538);
  expect(m.apply(paramInputs(host), input('x', [4, 3, 32, 32]), new Ctx(true)).shape).toEqual([4, 10]);
});

test('small CNN = three ReLU convs (strides 1, 2, 2), mean over H·W, linear; gradients', () => {
  const m = smallCnn({ channels: [2, 3, 4], outDim: 3 });
  const rng = new Rng(22);
  const host = m.init(rng);
  const p = paramInputs(host);
  const x = input('x', [2, 3, 6, 6]);
  const y = m.apply(p, x, new Ctx(false));
  let h = x;
  [1, 2, 2].forEach((s, i) => (h = conv2d.apply(p.convs[i], h, { stride: s, padding: 1 }).relu()));
  const want = linear.apply(p.head!, h.sum([2, 3]).mul(1 / (h.shape[2] * h.shape[3])));
  const feeds = { x: rng.normalArray(x.size), ...paramFeeds(host) };
  const r = runReference([x, ...leaves(p)], { y, want }, feeds);
  expect(maxRelDiff(r.y.data, r.want.data)).toBeLessThan(1e-12);
  const report = gradCheck([x, ...leaves(p)], y, feeds, undefined, { samples: 4 });
  for (const [k, v] of Object.entries(report)) expect(v, k).toBeLessThan(1e-6);
});

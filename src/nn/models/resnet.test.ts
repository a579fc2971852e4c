import { expect, test } from 'vitest';
import { input } from '../../engine/tensor.ts';
import { Rng } from '../../util/rng.ts';
import { Ctx, paramInputs } from '../context.ts';
import { parameterCount } from '../parameter-count.ts';
import { gradCheck } from '../testing/grad-check.ts';
import { leaves, paramFeeds } from '../testing/feeds.ts';
import { ortVsReference } from '../testing/ort-check.ts';
import { cifarResNet18 } from './resnet.ts';

test('CIFAR ResNet-18 with a 10-way head has 11,173,962 parameters (PyTorch figure) and 20 BatchNorms', () => {
  const m = cifarResNet18({ outDim: 10 });
  const host = m.init(new Rng(0));
  expect(parameterCount(host)).toBe(11_173_962);
  expect(parameterCount(host, { includeBuffers: true })).toBe(11_173_962 + 9_600);
  expect(host.stages.map((s) => s.map((b) => !!b.shortcut))).toEqual([
    [false, false],
    [true, false],
    [true, false],
    [true, false],
  ]);
  const ctx = new Ctx(true);
  const y = m.apply(paramInputs(host, 'image'), input('x', [2, 3, 32, 32]), ctx);
  expect(y.shape).toEqual([2, 10]);
  expect(ctx.updates.size).toBe(40);
  expect([...ctx.updates.keys()][0]).toBe('image.stem.bn.running_mean');
  expect(
    m.apply(paramInputs(cifarResNet18().init(new Rng(0))), input('x', [2, 3, 32, 32]), new Ctx(false)).shape,
  ).toEqual([2, 512]);
});

const tiny = cifarResNet18({ width: 2, blocks: [1, 1], outDim: 3 });

test('tiny ResNet gradients (training mode) match finite differences', () => {
  const rng = new Rng(20);
  const host = tiny.init(rng);
  const p = paramInputs(host);
  const x = input('x', [2, 3, 4, 4]);
  const wrt = leaves(p).filter((t) => !t.name!.includes('running'));
  const feeds = { x: rng.normalArray(x.size), ...paramFeeds(host) };
  const report = gradCheck([x, ...leaves(p)], tiny.apply(p, x, new Ctx(true)), feeds, [x, ...wrt], {
    samples: 3,
  });
  for (const [k, v] of Object.entries(report)) expect(v, k).toBeLessThan(1e-5);
});

test('tiny ResNet on ONNX Runtime equals the reference (train outputs, gradients, running stats; eval outputs)', async () => {
  const rng = new Rng(21);
  const host = tiny.init(rng);
  const p = paramInputs(host);
  const x = input('x', [2, 3, 8, 8]);
  const ctx = new Ctx(true);
  const train = tiny.apply(p, x, ctx);
  const updates = Object.fromEntries([...ctx.updates].map(([k, v]) => [`new.${k}`, v]));
  const outputs = { train, eval: tiny.apply(p, x, new Ctx(false)), ...updates };
  const feeds = { x: rng.normalArray(x.size), ...paramFeeds(host) };
  const trainable = leaves(p).filter((t) => !t.name!.includes('running'));
  const diffs = await ortVsReference([x, ...leaves(p)], outputs, feeds, trainable);
  expect(Object.keys(diffs)).toHaveLength(2 + 12 + trainable.length);
  for (const [k, v] of Object.entries(diffs)) expect(v, k).toBeLessThan(1e-4);
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { flatten } from '../../engine/tree.ts';
import { isBuffer, type HostTensor, type Params } from '../../nn/context.ts';
import { Rng } from '../../util/rng.ts';
import { TrainStep } from '../step.ts';
import { train } from '../trainer.ts';
import { writeTinyCifar100 } from '../../../test/support/cifar.ts';
import { byolCifar, mocoCifar } from './momentum-cifar.ts';
import type { Recipe } from '../recipe.ts';

const file = writeTinyCifar100(64, 4);
const tiny = {
  file,
  batchSize: 8,
  encoder: { arch: 'cnn' as const, channels: [8, 16, 16] as [number, number, number] },
  projectionHidden: 16,
  projectionDim: 8,
};
const isHost = (x: unknown) => !!x && typeof x === 'object' && 'data' in (x as object);
const flat = (p: Params) => new Map(flatten<HostTensor>(p, '', isHost));

async function stepOf(recipe: Recipe, params: Params) {
  const step = await TrainStep.create({
    params,
    batch: recipe.batchSpec,
    loss: recipe.loss,
    optimizer: recipe.optimizer,
    trainable: recipe.trainable,
  });
  const r = new Rng(9);
  const feeds = { view1: r.normalArray(8 * 3072), view2: r.normalArray(8 * 3072) };
  return { step, feeds };
}

test('byol-cifar: the target moves toward the online network by the EMA formula; only online params train', async () => {
  const m = 0.9;
  const recipe = byolCifar({ ...tiny, momentum: m });
  const params = recipe.init(new Rng(0));
  // The target starts as a copy of the online network; perturb it so the EMA has somewhere to go.
  const r = new Rng(1);
  for (const [k, v] of flat(params))
    if (k.startsWith('target.') && !isBuffer(k))
      for (let i = 0; i < v.data.length; i++) v.data[i] += r.normal();
  const { step, feeds } = await stepOf(recipe, params);
  const before = flat(step.params());
  await step.run(feeds, 1e-2);
  const after = flat(step.params());
  let checked = 0;
  for (const [k, t0] of before) {
    if (!k.startsWith('target.') || isBuffer(k)) continue;
    const o0 = before.get(k.replace(/^target\./, 'online.'))!;
    const t1 = after.get(k)!;
    for (let i = 0; i < t0.data.length; i++) {
      expect(t1.data[i]).toBeCloseTo(m * t0.data[i] + (1 - m) * o0.data[i], 4);
      // Distance to the online weights shrinks by the factor m.
      expect(Math.abs(t1.data[i] - o0.data[i])).toBeCloseTo(m * Math.abs(t0.data[i] - o0.data[i]), 4);
    }
    checked++;
  }
  expect(checked).toBeGreaterThan(4);
  // The online network is trained (moved by the optimizer); the predictor exists only online.
  const w = 'online.encoder.convs.0.w';
  expect(after.get(w)!.data).not.toEqual(before.get(w)!.data);
  expect([...before.keys()].some((k) => k.startsWith('target.predictor'))).toBe(false);
});

test('moco-cifar: the queue is a FIFO of unit-norm keys (newest first, oldest dropped)', async () => {
  const Q = 48; // 3 steps of 2B = 16 keys
  const recipe = mocoCifar({ ...tiny, queueSize: Q });
  const { step, feeds } = await stepOf(recipe, recipe.init(new Rng(0)));
  const D = 8;
  const q0 = flat(step.params()).get('queue')!.data;
  await step.run(feeds, 1e-2);
  const q1 = flat(step.params()).get('queue')!.data;
  // Rows 16.. are the old rows 0..Q-16; rows 0..15 are this step's keys, L2-normalised.
  expect(Array.from(q1.subarray(16 * D))).toEqual(Array.from(q0.subarray(0, (Q - 16) * D)));
  for (let i = 0; i < 16; i++) expect(Math.hypot(...q1.subarray(i * D, (i + 1) * D))).toBeCloseTo(1, 5);
  expect(Array.from(q1.subarray(0, 16 * D))).not.toEqual(Array.from(q0.subarray(0, 16 * D)));
  await step.run(feeds, 1e-2);
  await step.run(feeds, 1e-2);
  // After Q / 2B steps every initial row has been pushed out.
  const q3 = flat(step.params()).get('queue')!.data;
  expect(Array.from(q3.subarray(32 * D))).toEqual(Array.from(q1.subarray(0, 16 * D)));
  const init = new Set(Array.from(q0));
  expect(Array.from(q3).filter((v) => init.has(v)).length).toBe(0);
});

test('moco-cifar and byol-cifar: the loss decreases on a tiny CIFAR-format file', async () => {
  // MoCo's queue starts as random unit vectors (easy negatives) and holds only real keys from step 2 on
  // (queue = 2B), so its curve is compared from there.
  const recipes: Recipe[] = [mocoCifar({ ...tiny, queueSize: 16 }), byolCifar(tiny)];
  for (const recipe of recipes) {
    const outDir = join(mkdtempSync(join(tmpdir(), `clade-${recipe.name}-`)), 'run');
    const opts = { steps: 16, lr: 1e-2, warmup: 2, seed: 0, checkpointEvery: 100, keepLast: 1 };
    await train(recipe, { ...opts, outDir, quiet: true });
    const l = readFileSync(join(outDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((x) => JSON.parse(x).loss as number);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const from = recipe.name === 'moco-cifar' ? 1 : 0;
    expect(mean(l.slice(-4)), recipe.name).toBeLessThan(mean(l.slice(from, from + 4)));
  }
});

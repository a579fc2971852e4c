import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { F } from '../engine/index.ts';
import { adamw } from '../optim/adamw.ts';
import { Rng } from '../util/rng.ts';
import { loadCheckpoint, restoreStepCheckpoint, saveCheckpoint, saveStepCheckpoint } from './checkpoint.ts';
import { TrainStep, type StepSpec } from './step.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-ckpt-'));

function spec(seed: number): StepSpec {
  const rng = new Rng(seed);
  return {
    params: {
      enc: {
        w: { shape: [4, 8], data: rng.normalArray(32, 0.5) },
        b: { shape: [8], data: new Float32Array(8) },
      },
      head: { w: { shape: [8, 3], data: rng.normalArray(24, 0.5) } },
    },
    batch: { x: { shape: [16, 4] }, y: { shape: [16], dtype: 'int64' } },
    loss: (p: any, b, ctx) => {
      const h = F.dropout(b.x.matmul(p.enc.w).add(p.enc.b).relu(), ctx.dropoutMask([16, 8], 0.25));
      return { loss: F.crossEntropy(h.matmul(p.head.w), b.y) };
    },
    optimizer: adamw(),
    seed: 5,
  };
}
function batch(i: number) {
  const r = new Rng(100 + i);
  return { x: r.normalArray(64), y: BigInt64Array.from({ length: 16 }, () => BigInt(r.int(3))) };
}

test('a restored step continues exactly like an uninterrupted one (params, Adam state, step count, dropout RNG)', async () => {
  const a = await TrainStep.create(spec(1));
  const lossesA: number[] = [];
  for (let i = 0; i < 6; i++) lossesA.push((await a.run(batch(i), 1e-2)).loss);

  const b = await TrainStep.create(spec(1));
  for (let i = 0; i < 3; i++) await b.run(batch(i), 1e-2);
  const path = join(dir, 'step3.safetensors');
  saveStepCheckpoint(path, b, { epoch: 0, position: 3 });
  const c = await TrainStep.create(spec(2)); // different init: everything must come from the checkpoint
  const extra = restoreStepCheckpoint(path, c);
  expect(extra).toEqual({ epoch: 0, position: 3 });
  expect(c.t).toBe(3);
  const lossesC: number[] = [];
  for (let i = 3; i < 6; i++) lossesC.push((await c.run(batch(i), 1e-2)).loss);
  expect(lossesC).toEqual(lossesA.slice(3));
});

test('a checkpoint holding textbook Adam moments (no slotScales, as written before they were held scaled) resumes', async () => {
  const b = await TrainStep.create(spec(1));
  for (let i = 0; i < 3; i++) await b.run(batch(i), 1e-2);
  const path = join(dir, 'legacy.safetensors');
  saveCheckpoint(path, b.state(), { step: b.t, extra: { stepRng: b.rng.state(), micro: 0 } });
  expect(b.heldState().scales['opt.m.enc.w']).toBeCloseTo(10, 9); // m/(1−β₁)
  const c = await TrainStep.create(spec(2));
  restoreStepCheckpoint(path, c);
  const held = b.heldState().tensors;
  for (const [name, t] of c.heldState().tensors) {
    const want = held.get(name)!.data;
    t.data.forEach((x, i) => expect(x).toBeCloseTo(want[i], 5));
  }
  const next = [await b.run(batch(3), 1e-2), await c.run(batch(3), 1e-2)];
  expect(next[1].loss).toBeCloseTo(next[0].loss, 6);
});

test('an unrolled step (3 optimizer steps per graph run) equals 3 single steps, dropout masks included', async () => {
  const a = await TrainStep.create(spec(1));
  const single: number[] = [];
  for (let i = 0; i < 6; i++) single.push((await a.run(batch(i), 1e-2 * (i + 1))).loss);
  const u = await TrainStep.create({ ...spec(1), unroll: 3 });
  const lrs = [1e-2, 2e-2, 3e-2];
  const got = [
    ...(await u.runSteps([0, 1, 2].map(batch), lrs)),
    ...(await u.runSteps(
      [3, 4, 5].map(batch),
      lrs.map((x) => x + 3e-2),
    )),
  ].map((r) => r.loss);
  expect(u.t).toBe(6);
  got.forEach((x, i) => expect(x).toBeCloseTo(single[i], 5));
  const want = a.state();
  for (const [name, t] of u.state())
    t.data.forEach((x, i) => expect(x).toBeCloseTo(want.get(name)!.data[i], 5));
  await expect(u.run(batch(0), 1e-2)).rejects.toThrow(/unrolled over 3 steps/);
  await expect(u.runSteps([batch(0)], [1e-2])).rejects.toThrow(/takes 3 batches/);
});

test('a non-finite loss in an unrolled group names its step and keeps none of the group', async () => {
  const u = await TrainStep.create({ ...spec(1), unroll: 2 });
  await u.runSteps([batch(0), batch(1)], [1e-2, 1e-2]);
  const before = new Map([...u.state()].map(([k, v]) => [k, v.data.slice()]));
  const bad = batch(3);
  // the second batch of the pair overflows its loss; the first one was fine
  bad.x.fill(3e38);
  await expect(u.runSteps([batch(2), bad], [1e-2, 1e-2])).rejects.toThrow(/at step 4/);
  expect(u.t).toBe(2);
  for (const [k, v] of u.state()) expect(Array.from(v.data)).toEqual(Array.from(before.get(k)!));
});

test('loading reports every missing, unexpected and mis-shaped tensor', () => {
  const path = join(dir, 'bad.safetensors');
  saveCheckpoint(
    path,
    new Map([
      ['a.w', { shape: [2, 2], data: new Float32Array(4) }],
      ['extra.x', { shape: [1], data: new Float32Array(1) }],
    ]),
    { step: 1 },
  );
  const expected = new Map<string, readonly number[]>([
    ['a.w', [2, 3]],
    ['a.b', [3]],
  ]);
  expect(() => loadCheckpoint(path, expected)).toThrow(
    /'a\.w' has shape \[2,2\], expected \[2,3\][\s\S]*missing 'a\.b'[\s\S]*unexpected 'extra\.x'/,
  );
});

test('a truncated checkpoint gives an error naming the file', () => {
  const path = join(dir, 'trunc.safetensors');
  saveCheckpoint(path, new Map([['w', { shape: [64], data: new Float32Array(64) }]]), { step: 2 });
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, bytes.length - 10));
  expect(() => loadCheckpoint(path)).toThrow(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
});

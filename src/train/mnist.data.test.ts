import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { expect, test } from 'vitest';
import { readMnist } from '../data/readers/mnist.ts';
import { sharedDatasetsDir } from '../data/readers/shared-datasets.ts';
import { F, compile, defineGraph, flatten, input, prim, type Tensor } from '../engine/node.ts';
import { paramInputs, type HostTensor, type Params } from '../nn/context.ts';
import { adamw } from '../optim/adamw.ts';
import { warmupCosine } from '../optim/schedule.ts';
import { Rng } from '../util/rng.ts';
import { writeForwardOnnx } from './export.ts';
import { TrainStep } from './step.ts';

// The protocol: MNIST test set, first 8,000 records train, last 2,000 held out.
const ds = readMnist(
  sharedDatasetsDir('mnist/t10k-images-idx3-ubyte.gz'),
  sharedDatasetsDir('mnist/t10k-labels-idx1-ubyte.gz'),
);
const pixels = new Float32Array(ds.length * 784);
for (let i = 0; i < ds.length; i++) {
  const img = ds.get(i).image!.data;
  for (let j = 0; j < 784; j++) pixels[i * 784 + j] = (img[j] / 255 - 0.1307) / 0.3081;
}
const TRAIN = 8000;
const B = 100;

const rng = new Rng(7);
const lin = (i: number, o: number) => ({
  w: { shape: [i, o], data: rng.uniformArray(i * o, -1 / Math.sqrt(i), 1 / Math.sqrt(i)) },
  b: { shape: [o], data: new Float32Array(o) },
});
const conv = (i: number, o: number) => ({
  w: { shape: [o, i, 3, 3], data: rng.uniformArray(o * i * 9, -1 / Math.sqrt(i * 9), 1 / Math.sqrt(i * 9)) },
  b: { shape: [o], data: new Float32Array(o) },
});
const dense = (p: any, x: Tensor) => x.matmul(p.w).add(p.b);
const convS = (p: any, x: Tensor, s: number) =>
  prim('conv2d', [x, p.w, p.b], { strides: [s, s], pads: [1, 1, 1, 1], group: 1 }).relu();

const models = {
  mlp: {
    params: () => ({ l1: lin(784, 1024), l2: lin(1024, 10) }) as Params,
    shape: [784],
    apply: (p: any, x: Tensor) => dense(p.l2, dense(p.l1, x).relu()),
  },
  cnn: {
    params: () => ({ c1: conv(1, 16), c2: conv(16, 32), c3: conv(32, 32), fc: lin(32 * 49, 10) }) as Params,
    shape: [1, 28, 28],
    apply: (p: any, x: Tensor) =>
      dense(p.fc, convS(p.c3, convS(p.c2, convS(p.c1, x, 1), 2), 2).reshape([x.shape[0], 32 * 49])),
  },
};

async function trainAndEval(kind: keyof typeof models, epochs: number) {
  const m = models[kind];
  const params = m.params();
  const step = await TrainStep.create({
    params,
    batch: { x: { shape: [B, ...m.shape] }, y: { shape: [B], dtype: 'int64' } },
    loss: (p, b) => ({ loss: F.crossEntropy(m.apply(p, b.x), b.y, { labelSmoothing: 0.1 }) }),
    optimizer: adamw({ weightDecay: 1e-4 }),
  });
  const order = new Rng(1);
  const total = (epochs * TRAIN) / B;
  const lr = warmupCosine({ base: 2e-3, warmup: 50, total });
  const x = new Float32Array(B * 784);
  const y = new BigInt64Array(B);
  for (let e = 0; e < epochs; e++) {
    const perm = order.permutation(TRAIN);
    for (let s = 0; s < TRAIN / B; s++) {
      for (let i = 0; i < B; i++) {
        const k = perm[s * B + i];
        x.set(pixels.subarray(k * 784, (k + 1) * 784), i * 784);
        y[i] = BigInt(ds.labels[k]);
      }
      await step.run({ x, y }, lr(step.t));
    }
  }
  // Held-out accuracy through an exported standalone ONNX model, reloaded by a fresh ORT session.
  const dir = mkdtempSync(join(tmpdir(), 'clade-mnist-'));
  const path = join(dir, `${kind}.onnx`);
  const n = ds.length - TRAIN;
  writeForwardOnnx(path, step.params(), {
    inputs: { x: { shape: [n, ...m.shape] } },
    forward: (p, i) => ({ logits: m.apply(p, i.x) }),
  });
  const sess = await ort.InferenceSession.create(path);
  const held = pixels.slice(TRAIN * 784);
  const logits = (await sess.run({ x: new ort.Tensor('float32', held, [n, ...m.shape]) })).logits
    .data as Float32Array;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if (logits[i * 10 + k] > logits[i * 10 + best]) best = k;
    correct += +(best === ds.labels[TRAIN + i]);
  }
  return { acc: correct / n, step, logits };
}

test('MLP trained on MNIST (8k) reaches ≥ 96 % held-out accuracy via the exported ONNX model', async () => {
  const { acc, step, logits } = await trainAndEval('mlp', 12);
  console.info(`mnist mlp held-out accuracy ${(100 * acc).toFixed(2)} %`);
  expect(acc).toBeGreaterThanOrEqual(0.96);
  // The exported standalone model computes what the trainer's own forward graph computes.
  const n = ds.length - TRAIN;
  const xIn = input('x', [n, 784]);
  const params = step.params();
  type MlpParams = { l1: { w: HostTensor; b: HostTensor }; l2: { w: HostTensor; b: HostTensor } };
  const sym = paramInputs(params as unknown as MlpParams);
  const run = await compile(
    defineGraph([xIn, ...flatten<Tensor>(sym as unknown as Record<string, Tensor>).map(([, t]) => t)], {
      logits: models.mlp.apply(sym, xIn),
    }),
  );
  const feeds = Object.fromEntries(
    flatten<HostTensor>(params, '', (v) => !!v && typeof v === 'object' && 'data' in v).map(([k, v]) => [
      k,
      v.data,
    ]),
  );
  const direct = (await run.run({ ...feeds, x: pixels.slice(TRAIN * 784) })).logits as Float32Array;
  let worst = 0;
  for (let i = 0; i < direct.length; i++) worst = Math.max(worst, Math.abs(direct[i] - logits[i]));
  expect(worst).toBeLessThan(1e-4);
});

test('small CNN trained on MNIST (8k) reaches ≥ 97 % held-out accuracy via the exported ONNX model', async () => {
  const { acc } = await trainAndEval('cnn', 6);
  console.info(`mnist cnn held-out accuracy ${(100 * acc).toFixed(2)} %`);
  expect(acc).toBeGreaterThanOrEqual(0.97);
});

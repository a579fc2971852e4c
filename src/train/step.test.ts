import { describe, expect, test } from 'vitest';
import { F } from '../engine/index.ts';
import { constant } from '../engine/tensor.ts';
import type { HostTensor } from '../nn/context.ts';
import { adamw } from '../optim/adamw.ts';
import { lars } from '../optim/lars.ts';
import { sgd } from '../optim/sgd.ts';
import { Rng } from '../util/rng.ts';
import { NonFiniteLossError, TrainStep } from './step.ts';

const host = (shape: number[], data: number[]): HostTensor => ({ shape, data: Float32Array.from(data) });

// loss = Σ c·w + ½ Σ w² has gradient c + w: simple enough to replay optimizers on the host in float64.
function quadratic(c: number[]) {
  return (p: any) => ({
    loss: p.w
      .mul(constant(Float32Array.from(c), [2, 2]))
      .sum()
      .add(p.w.square().sum().mul(0.5)),
  });
}

describe('optimizer updates inside the step graph match their formulas', () => {
  const c = [0.5, -1, 2, 0.1];
  const w0 = [1, -2, 0.3, 0.7];

  test('AdamW (torch.optim.AdamW semantics)', async () => {
    const cfg = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };
    const step = await TrainStep.create({
      params: { w: host([2, 2], w0) },
      batch: {},
      loss: quadratic(c),
      optimizer: adamw(cfg),
    });
    const w = [...w0];
    const m = [0, 0, 0, 0];
    const v = [0, 0, 0, 0];
    const lrs = [1e-2, 5e-3, 2e-2, 1e-2, 3e-3];
    for (const [i, lr] of lrs.entries()) {
      await step.run({}, lr);
      const t = i + 1;
      for (let j = 0; j < 4; j++) {
        const g = c[j] + w[j];
        w[j] *= 1 - lr * cfg.weightDecay;
        m[j] = cfg.beta1 * m[j] + (1 - cfg.beta1) * g;
        v[j] = cfg.beta2 * v[j] + (1 - cfg.beta2) * g * g;
        const mh = m[j] / (1 - cfg.beta1 ** t);
        const vh = v[j] / (1 - cfg.beta2 ** t);
        w[j] -= (lr * mh) / (Math.sqrt(vh) + cfg.eps);
      }
    }
    const got = step.state().get('w')!.data;
    for (let j = 0; j < 4; j++) expect(got[j]).toBeCloseTo(w[j], 5);
    // The graph carries m/(1−β₁) and v/(1−β₂); state() hands back the textbook moments.
    for (let j = 0; j < 4; j++) {
      expect(step.state().get('opt.m.w')!.data[j]).toBeCloseTo(m[j], 5);
      expect(step.state().get('opt.v.w')!.data[j] / v[j]).toBeCloseTo(1, 5);
    }
    // load() scales them back: a second step loaded from this one's state takes the same next step.
    const twin = await TrainStep.create({
      params: { w: host([2, 2], w0) },
      batch: {},
      loss: quadratic(c),
      optimizer: adamw(cfg),
    });
    twin.load(step.state());
    twin.t = step.t;
    await step.run({}, 1e-2);
    await twin.run({}, 1e-2);
    for (const k of ['w', 'opt.m.w', 'opt.v.w'])
      expect(Array.from(twin.state().get(k)!.data)).toEqual(Array.from(step.state().get(k)!.data));
  });

  test('SGD with Nesterov momentum and weight decay (torch.optim.SGD semantics)', async () => {
    const cfg = { momentum: 0.9, nesterov: true, weightDecay: 0.01 };
    const step = await TrainStep.create({
      params: { w: host([2, 2], w0) },
      batch: {},
      loss: quadratic(c),
      optimizer: sgd(cfg),
    });
    const w = [...w0];
    const buf = [0, 0, 0, 0];
    for (let i = 0; i < 4; i++) {
      await step.run({}, 0.1);
      for (let j = 0; j < 4; j++) {
        const g = c[j] + w[j] + cfg.weightDecay * w[j];
        buf[j] = cfg.momentum * buf[j] + g;
        w[j] -= 0.1 * (g + cfg.momentum * buf[j]);
      }
    }
    const got = step.state().get('w')!.data;
    for (let j = 0; j < 4; j++) expect(got[j]).toBeCloseTo(w[j], 5);
  });

  test('LARS scales each decayed tensor by its trust ratio', async () => {
    const cfg = { momentum: 0.9, weightDecay: 1e-4, eta: 0.02 };
    const step = await TrainStep.create({
      params: { w: host([2, 2], w0) },
      batch: {},
      loss: quadratic(c),
      optimizer: lars(cfg),
    });
    const w = [...w0];
    const buf = [0, 0, 0, 0];
    for (let i = 0; i < 3; i++) {
      await step.run({}, 0.5);
      const g = w.map((x, j) => c[j] + x);
      const pn = Math.hypot(...w);
      const gn = Math.hypot(...g);
      const trust = (cfg.eta * pn) / (gn + cfg.weightDecay * pn);
      for (let j = 0; j < 4; j++) {
        buf[j] = cfg.momentum * buf[j] + trust * (g[j] + cfg.weightDecay * w[j]);
        w[j] -= 0.5 * buf[j];
      }
    }
    const got = step.state().get('w')!.data;
    for (let j = 0; j < 4; j++) expect(got[j]).toBeCloseTo(w[j], 5);
  });
});

test('a non-finite loss is reported with its step and leaves parameters unchanged', async () => {
  const step = await TrainStep.create({
    params: { w: host([2], [1, 2]) },
    batch: { x: { shape: [2] } },
    loss: (p: any, b) => ({ loss: p.w.mul(b.x).log().sum() }),
    optimizer: sgd(),
  });
  await step.run({ x: Float32Array.from([1, 1]) }, 0.1);
  const before = step.state().get('w')!.data.slice();
  const err = await step.run({ x: Float32Array.from([-1, 1]) }, 0.1).catch((e) => e);
  expect(err).toBeInstanceOf(NonFiniteLossError);
  expect(String(err.message)).toMatch(/step 2.*NaN/);
  expect(Array.from(step.state().get('w')!.data)).toEqual(Array.from(before));
});

test('an MLP trained by the step graph fits a nonlinear task', async () => {
  const rng = new Rng(3);
  const n = 256;
  const x = rng.normalArray(n * 2);
  const y = BigInt64Array.from({ length: n }, (_, i) => BigInt(+(x[2 * i] * x[2 * i + 1] > 0)));
  const init = (i: number, o: number) => ({
    w: { shape: [i, o], data: rng.normalArray(i * o, Math.sqrt(2 / i)) },
    b: { shape: [o], data: new Float32Array(o) },
  });
  const params = { l1: init(2, 32), l2: init(32, 2) };
  const step = await TrainStep.create({
    params,
    batch: { x: { shape: [n, 2] }, y: { shape: [n], dtype: 'int64' } },
    loss: (p: any, b) => {
      const logits = b.x.matmul(p.l1.w).add(p.l1.b).relu().matmul(p.l2.w).add(p.l2.b);
      return { loss: F.crossEntropy(logits, b.y), metrics: { acc: F.accuracy(logits, b.y) } };
    },
    optimizer: adamw({ weightDecay: 0 }),
  });
  let last = { loss: Infinity, metrics: { acc: 0 } as Record<string, number> };
  for (let i = 0; i < 300; i++) last = await step.run({ x, y }, 0.02);
  expect(last.metrics.acc).toBeGreaterThan(0.95);
});

test('gradient accumulation over two micro-batches equals one step on their concatenation', async () => {
  const rng = new Rng(4);
  const B = 8;
  const init = () => ({
    w: { shape: [3, 4], data: new Rng(1).normalArray(12) },
    b: { shape: [4], data: new Float32Array(4) },
  });
  const x = rng.normalArray(2 * B * 3);
  const y = BigInt64Array.from({ length: 2 * B }, () => BigInt(rng.int(4)));
  const loss = (p: any, b: any) => ({ loss: F.crossEntropy(b.x.matmul(p.w).add(p.b), b.y) });
  const whole = await TrainStep.create({
    params: init(),
    batch: { x: { shape: [2 * B, 3] }, y: { shape: [2 * B], dtype: 'int64' } },
    loss,
    optimizer: adamw(),
  });
  const acc = await TrainStep.create({
    params: init(),
    batch: { x: { shape: [B, 3] }, y: { shape: [B], dtype: 'int64' } },
    loss,
    optimizer: adamw(),
    accumulate: 2,
  });
  for (let s = 0; s < 3; s++) {
    await whole.run({ x, y }, 0.05);
    await acc.run({ x: x.subarray(0, B * 3), y: y.subarray(0, B) }, 0.05);
    expect(acc.t).toBe(s); // no update after the first micro-batch
    await acc.run({ x: x.subarray(B * 3), y: y.subarray(B) }, 0.05);
    expect(acc.t).toBe(s + 1);
  }
  const a = whole.state().get('w')!.data;
  const b = acc.state().get('w')!.data;
  for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 5);
});

describe('per-parameter learning-rate scales (layer-wise LR decay) inside the step graph', () => {
  // Four "blocks" b0..b3 with loss Σ_i Σ c_i·w_i: each gradient is the constant c_i, so one SGD step moves block i
  // by exactly −lr·scale_i·c_i.
  const L = 4;
  const d = 0.5;
  const c = [0.3, -1.2, 2, 0.7];
  const params = () =>
    Object.fromEntries(c.map((_, i) => [`b${i}`, host([3], [1, -1, 0.5])])) as Record<string, HostTensor>;
  const loss = (p: any) => ({
    loss: c.map((ci, i) => p[`b${i}`].sum().mul(ci)).reduce((a: any, b: any) => a.add(b)),
  });
  const scaleOf = (path: string) => d ** (L - 1 - Number(path.slice(1))); // block i: d^(L−1−i), the last 1

  test('SGD: block i moves by lr·d^(L−1−i)·g, the last block by lr·g', async () => {
    const step = await TrainStep.create({
      params: params(),
      batch: {},
      loss,
      optimizer: sgd(),
      lrScale: scaleOf,
    });
    const lr = 0.1;
    await step.run({}, lr);
    for (let i = 0; i < L; i++) {
      const moved = step.state().get(`b${i}`)!.data[0] - 1;
      expect(moved / (-lr * c[i])).toBeCloseTo(d ** (L - 1 - i), 5); // float32 steps from 1
    }
  });

  test('AdamW: a scaled parameter follows torch.optim.AdamW with a parameter group at lr·s (weight decay too)', async () => {
    const cfg = { beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 0.2 };
    const w0 = [1, -2, 0.3, 0.7];
    const cq = [0.5, -1, 2, 0.1];
    const s = 0.3;
    const step = await TrainStep.create({
      params: { w: host([2, 2], w0) },
      batch: {},
      loss: quadratic(cq),
      optimizer: adamw(cfg),
      lrScale: () => s,
    });
    const w = [...w0];
    const m = [0, 0, 0, 0];
    const v = [0, 0, 0, 0];
    const lrs = [1e-2, 5e-3, 2e-2];
    for (const [i, base] of lrs.entries()) {
      await step.run({}, base);
      const lr = base * s;
      const t = i + 1;
      for (let j = 0; j < 4; j++) {
        const g = cq[j] + w[j];
        w[j] *= 1 - lr * cfg.weightDecay;
        m[j] = cfg.beta1 * m[j] + (1 - cfg.beta1) * g;
        v[j] = cfg.beta2 * v[j] + (1 - cfg.beta2) * g * g;
        w[j] -= (lr * (m[j] / (1 - cfg.beta1 ** t))) / (Math.sqrt(v[j] / (1 - cfg.beta2 ** t)) + cfg.eps);
      }
    }
    const got = step.state().get('w')!.data;
    for (let j = 0; j < 4; j++) expect(got[j]).toBeCloseTo(w[j], 6);
  });

  test('a scale that is not a positive number is refused, naming the parameter', async () => {
    const err = await TrainStep.create({
      params: params(),
      batch: {},
      loss,
      optimizer: sgd(),
      lrScale: (p) => (p === 'b2' ? 0 : 1),
    }).catch((e) => e);
    expect(String(err.message)).toMatch(/'b2'.*positive/);
  });
});

import { describe, expect, test } from 'vitest';
import { input, type Tensor } from '../engine/tensor.ts';
import { Rng } from '../util/rng.ts';
import { batchNorm } from './batch-norm.ts';
import { Ctx, paramInputs } from './context.ts';
import { gradCheck } from './testing/grad-check.ts';
import { leaves, maxRelDiff, paramFeeds, runReference } from './testing/feeds.ts';

/** Channel c's values of x [B, C, S] (S = spatial size, 1 for BatchNorm1d). */
const channel = (xs: Float32Array, b: number, c: number, s: number, ch: number) => {
  const out: number[] = [];
  for (let i = 0; i < b; i++) for (let k = 0; k < s; k++) out.push(xs[(i * c + ch) * s + k]);
  return out;
};

function setup(shape: number[], affine: boolean, seed: number) {
  const rng = new Rng(seed);
  const c = shape[1];
  const host = batchNorm.init(c, { affine });
  if (host.gamma) host.gamma.data.set(rng.normalArray(c));
  if (host.beta) host.beta.data.set(rng.normalArray(c));
  host.running_mean.data.set(rng.normalArray(c));
  host.running_var.data.set(Float32Array.from({ length: c }, () => 0.5 + rng.float()));
  const p = paramInputs(host, 'bn');
  const x = input('x', shape);
  const xs = rng.normalArray(x.size);
  return { host, p, x, xs, feeds: { x: xs, ...paramFeeds(host, 'bn') }, ins: [x, ...leaves(p)] as Tensor[] };
}

describe('batchNorm', () => {
  for (const [shape, affine] of [
    [[5, 3], true],
    [[2, 3, 2, 2], true],
    [[4, 2, 3], false],
  ] as const) {
    test(`train ${JSON.stringify(shape)} affine=${affine}: batch stats, running stats with unbiased variance`, () => {
      const { host, p, x, xs, feeds, ins } = setup([...shape], affine, 1);
      const ctx = new Ctx(true);
      const y = batchNorm.apply(p, x, ctx);
      expect([...ctx.updates.keys()]).toEqual(['bn.running_mean', 'bn.running_var']);
      const r = runReference(
        ins,
        { y, mean: ctx.updates.get('bn.running_mean')!, var: ctx.updates.get('bn.running_var')! },
        feeds,
      );
      const [b, c] = shape;
      const s = x.size / (b * c);
      const n = b * s;
      for (let ch = 0; ch < c; ch++) {
        const v = channel(xs, b, c, s, ch);
        const mu = v.reduce((a, z) => a + z) / n;
        const biased = v.reduce((a, z) => a + (z - mu) ** 2, 0) / n;
        expect(r.mean.data[ch]).toBeCloseTo(0.9 * host.running_mean.data[ch] + 0.1 * mu, 6);
        expect(r.var.data[ch]).toBeCloseTo(0.9 * host.running_var.data[ch] + (0.1 * biased * n) / (n - 1), 6);
        const got = channel(Float32Array.from(r.y.data), b, c, s, ch);
        const g = host.gamma?.data[ch] ?? 1;
        const be = host.beta?.data[ch] ?? 0;
        const want = v.map((z) => ((z - mu) / Math.sqrt(biased + 1e-5)) * g + be);
        expect(maxRelDiff(got, want)).toBeLessThan(1e-5);
      }
    });

    test(`eval ${JSON.stringify(shape)} affine=${affine}: running stats, no updates`, () => {
      const { host, p, x, xs, feeds, ins } = setup([...shape], affine, 2);
      const ctx = new Ctx(false);
      const y = runReference(ins, { y: batchNorm.apply(p, x, ctx) }, feeds).y;
      expect(ctx.updates.size).toBe(0);
      const [b, c] = shape;
      const s = x.size / (b * c);
      for (let ch = 0; ch < c; ch++) {
        const want = channel(xs, b, c, s, ch).map(
          (z) =>
            ((z - host.running_mean.data[ch]) / Math.sqrt(host.running_var.data[ch] + 1e-5)) *
              (host.gamma?.data[ch] ?? 1) +
            (host.beta?.data[ch] ?? 0),
        );
        expect(maxRelDiff(channel(Float32Array.from(y.data), b, c, s, ch), want)).toBeLessThan(1e-5);
      }
    });

    test(`gradients ${JSON.stringify(shape)} affine=${affine} (train and eval)`, () => {
      for (const train of [true, false]) {
        const { p, x, feeds, ins } = setup([...shape], affine, 3);
        const wrt = [x, ...(p.gamma ? [p.gamma, p.beta!] : [])];
        const report = gradCheck(ins, batchNorm.apply(p, x, new Ctx(train)), feeds, wrt);
        for (const v of Object.values(report)) expect(v).toBeLessThan(1e-6);
      }
    });
  }

  test('two applications in one step chain their running-stat updates (as PyTorch does sequentially)', () => {
    const { host, p, x, xs, ins } = setup([4, 2], true, 4);
    const second = x.square(); // a second batch: x²
    const ctx = new Ctx(true);
    batchNorm.apply(p, x, ctx);
    batchNorm.apply(p, second, ctx);
    const r = runReference(
      ins,
      { mean: ctx.updates.get('bn.running_mean')! },
      { x: xs, ...paramFeeds(host, 'bn') },
    );
    for (let ch = 0; ch < 2; ch++) {
      const v = channel(xs, 4, 2, 1, ch);
      const m1 = v.reduce((a, z) => a + z) / 4;
      const m2 = v.reduce((a, z) => a + z * z, 0) / 4;
      expect(r.mean.data[ch]).toBeCloseTo(0.9 * (0.9 * host.running_mean.data[ch] + 0.1 * m1) + 0.1 * m2, 6);
    }
  });

  test('rejects a channel mismatch and a batch of one value per channel in training', () => {
    const p = paramInputs(batchNorm.init(3));
    expect(() => batchNorm.apply(p, input('x', [4, 2]), new Ctx(true))).toThrow(/batchNorm expects \[B, 3/);
    expect(() => batchNorm.apply(p, input('x', [1, 3]), new Ctx(true))).toThrow(/more than one value/);
  });
});

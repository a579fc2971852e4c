import { expect, test } from 'vitest';
import { input } from '../engine/tensor.ts';
import { Rng } from '../util/rng.ts';
import { attention } from './attention.ts';
import { Ctx, paramInputs } from './context.ts';
import { gradCheck } from './testing/grad-check.ts';
import { leaves, maxRelDiff, paramFeeds, runReference } from './testing/feeds.ts';

/** x [R, I] · w [I, O] (+ columns c0.. of w, when w is wider) + b, in float64. */
function affine(
  x: ArrayLike<number>,
  rows: number,
  w: Float32Array,
  wCols: number,
  c0: number,
  n: number,
  b?: Float32Array,
) {
  const inDim = w.length / wCols;
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < n; o++) {
      let s = b ? b[c0 + o] : 0;
      for (let i = 0; i < inDim; i++) s += x[r * inDim + i] * w[i * wCols + c0 + o];
      out[r * n + o] = s;
    }
  return out;
}

/** softmax(Q·Kᵀ/√d_h [+ causal mask])·V per head, then the output projection, all by hand in float64. */
function handAttention(
  xs: Float32Array,
  b: number,
  t: number,
  d: number,
  h: number,
  causal: boolean,
  host: ReturnType<typeof attention.init>,
) {
  const dh = d / h;
  const [q, k, v] = [0, 1, 2].map((i) =>
    affine(xs, b * t, host.qkv.w.data, 3 * d, i * d, d, host.qkv.b!.data),
  );
  const merged = new Float64Array(b * t * d);
  for (let n = 0; n < b; n++)
    for (let hh = 0; hh < h; hh++)
      for (let i = 0; i < t; i++) {
        const at = (m: Float64Array, row: number, c: number) => m[(n * t + row) * d + hh * dh + c];
        const scores: number[] = [];
        for (let j = 0; j < t; j++) {
          let s = 0;
          for (let c = 0; c < dh; c++) s += at(q, i, c) * at(k, j, c);
          scores.push(causal && j > i ? -Infinity : s / Math.sqrt(dh));
        }
        const mx = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - mx));
        const z = e.reduce((a2, b2) => a2 + b2);
        for (let c = 0; c < dh; c++) {
          let acc = 0;
          for (let j = 0; j < t; j++) acc += (e[j] / z) * at(v, j, c);
          merged[(n * t + i) * d + hh * dh + c] = acc;
        }
      }
  return affine(merged, b * t, host.proj.w.data, d, 0, d, host.proj.b!.data);
}

for (const causal of [false, true]) {
  test(`attention (causal ${causal}) equals a hand-written softmax(QKᵀ/√d)V; gradients`, () => {
    const rng = new Rng(causal ? 7 : 8);
    const [b, t, d, h] = [2, 4, 6, 2];
    const host = attention.init(rng, d);
    const p = paramInputs(host, 'attn');
    const x = input('x', [b, t, d]);
    const xs = rng.normalArray(x.size);
    const y = attention.apply(p, x, { heads: h, causal }, new Ctx(false));
    const feeds = { x: xs, ...paramFeeds(host, 'attn') };
    const got = runReference([x, ...leaves(p)], { y }, feeds).y;
    expect(got.shape).toEqual([b, t, d]);
    expect(maxRelDiff(got.data, handAttention(xs, b, t, d, h, causal, host))).toBeLessThan(1e-6);
    const report = gradCheck([x, ...leaves(p)], y, feeds);
    for (const [k, v] of Object.entries(report)) expect(v, k).toBeLessThan(1e-6);
  });
}

test('attention: dropout on the projection registers a fed mask in training only', () => {
  const p = paramInputs(attention.init(new Rng(9), 4));
  const x = input('x', [1, 3, 4]);
  const train = new Ctx(true);
  attention.apply(p, x, { heads: 2, dropout: 0.1 }, train);
  expect(train.randomInputs.map((r) => [r.tensor.shape, r.p])).toEqual([[[1, 3, 4], 0.1]]);
  const evalCtx = new Ctx(false);
  attention.apply(p, x, { heads: 2, dropout: 0.1 }, evalCtx);
  expect(evalCtx.randomInputs).toHaveLength(0);
  expect(() => attention.apply(p, x, { heads: 3 })).toThrow(/divisible by heads 3/);
});

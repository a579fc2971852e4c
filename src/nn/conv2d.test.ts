import { expect, test } from 'vitest';
import { input } from '../engine/tensor.ts';
import { Rng } from '../util/rng.ts';
import { paramInputs } from './context.ts';
import { conv2d } from './conv2d.ts';
import { gradCheck } from './testing/grad-check.ts';
import { leaves, maxRelDiff, paramFeeds, runReference } from './testing/feeds.ts';

/** Direct loops: y[n,o,i,j] = b[o] + Σ w[o,c,u,v]·x[n, c, i·s + u − pad, j·s + v − pad]. */
function directConv(
  x: Float32Array,
  xs: number[],
  w: Float32Array,
  ws: number[],
  b: Float32Array | undefined,
  s: number,
  pad: number,
) {
  const [n, c, h, wd] = xs;
  const [o, , k] = ws;
  const ho = Math.floor((h + 2 * pad - k) / s) + 1;
  const wo = Math.floor((wd + 2 * pad - k) / s) + 1;
  const out = new Float64Array(n * o * ho * wo);
  for (let a = 0; a < n; a++)
    for (let q = 0; q < o; q++)
      for (let i = 0; i < ho; i++)
        for (let j = 0; j < wo; j++) {
          let acc = b ? b[q] : 0;
          for (let ch = 0; ch < c; ch++)
            for (let u = 0; u < k; u++)
              for (let v = 0; v < k; v++) {
                const yy = i * s + u - pad;
                const xx = j * s + v - pad;
                if (yy < 0 || xx < 0 || yy >= h || xx >= wd) continue;
                acc += w[((q * c + ch) * k + u) * k + v] * x[((a * c + ch) * h + yy) * wd + xx];
              }
          out[((a * o + q) * ho + i) * wo + j] = acc;
        }
  return { out, shape: [n, o, ho, wo] };
}

test('conv2d: init bound 1/√(C·k·k); no bias when asked', () => {
  const p = conv2d.init(new Rng(1), 2, 4, 3);
  expect(p.w.shape).toEqual([4, 2, 3, 3]);
  expect(Math.max(...p.w.data.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(18));
  expect(conv2d.init(new Rng(1), 2, 4, 3, { bias: false }).b).toBeUndefined();
});

for (const [stride, padding, bias] of [
  [1, 1, true],
  [2, 1, false],
  [2, 0, true],
] as const) {
  test(`conv2d stride ${stride} padding ${padding} bias ${bias}: equals direct loops; gradients`, () => {
    const rng = new Rng(stride * 10 + padding);
    const host = conv2d.init(rng, 2, 3, 3, { bias });
    const p = paramInputs(host);
    const x = input('x', [2, 2, 5, 5]);
    const xs = rng.normalArray(x.size);
    const y = conv2d.apply(p, x, { stride, padding });
    const feeds = { x: xs, ...paramFeeds(host) };
    const got = runReference([x, ...leaves(p)], { y }, feeds).y;
    const want = directConv(
      xs,
      x.shape as number[],
      host.w.data,
      host.w.shape as number[],
      host.b?.data,
      stride,
      padding,
    );
    expect(got.shape).toEqual(want.shape);
    expect(maxRelDiff(got.data, want.out)).toBeLessThan(1e-6);
    const report = gradCheck([x, ...leaves(p)], y, feeds);
    for (const v of Object.values(report)) expect(v).toBeLessThan(1e-6);
  });
}

import { expect, test } from 'vitest';
import { input } from '../engine/tensor.ts';
import { Rng } from '../util/rng.ts';
import { avgPool, globalAvgPool, maxPool } from './pooling.ts';
import { gradCheck } from './testing/grad-check.ts';
import { maxRelDiff, runReference } from './testing/feeds.ts';

const rng = new Rng(4);
const x = input('x', [2, 3, 4, 6]);
const xs = rng.normalArray(x.size);
const at = (n: number, c: number, i: number, j: number) => xs[((n * 3 + c) * 4 + i) * 6 + j];

function pooled(k: number, f: (v: number[]) => number) {
  const out: number[] = [];
  for (let n = 0; n < 2; n++)
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < 4 / k; i++)
        for (let j = 0; j < 6 / k; j++) {
          const v: number[] = [];
          for (let u = 0; u < k; u++) for (let w = 0; w < k; w++) v.push(at(n, c, i * k + u, j * k + w));
          out.push(f(v));
        }
  return out;
}
const mean = (v: number[]) => v.reduce((a, b) => a + b) / v.length;

test('globalAvgPool, avgPool and maxPool equal direct window loops', () => {
  const r = runReference([x], { g: globalAvgPool(x), a: avgPool(x, 2), m: maxPool(x, 2) }, { x: xs });
  expect(r.g.shape).toEqual([2, 3]);
  const g: number[] = [];
  for (let n = 0; n < 2; n++)
    for (let c = 0; c < 3; c++) {
      const v: number[] = [];
      for (let i = 0; i < 4; i++) for (let j = 0; j < 6; j++) v.push(at(n, c, i, j));
      g.push(mean(v));
    }
  expect(maxRelDiff(r.g.data, g)).toBeLessThan(1e-6);
  expect(r.a.shape).toEqual([2, 3, 2, 3]);
  expect(maxRelDiff(r.a.data, pooled(2, mean))).toBeLessThan(1e-6);
  expect(
    maxRelDiff(
      r.m.data,
      pooled(2, (v) => Math.max(...v)),
    ),
  ).toBeLessThan(1e-6);
});

test('pooling gradients match finite differences', () => {
  for (const out of [globalAvgPool(x), avgPool(x, 2), maxPool(x, 2)]) {
    const report = gradCheck([x], out, { x: xs });
    expect(report.x).toBeLessThan(1e-6);
  }
});

test('pooling rejects a kernel that does not divide the sides', () => {
  expect(() => avgPool(x, 4)).toThrow(/kernel 4 must divide/);
});

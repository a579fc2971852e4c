import { expect, test } from 'vitest';
import { input } from '../engine/tensor.ts';
import { Rng } from '../util/rng.ts';
import { Ctx, sampleDropoutMask } from './context.ts';
import { dropout } from './dropout.ts';
import { runReference } from './testing/feeds.ts';

test('dropout: identity in eval mode and for p = 0', () => {
  const x = input('x', [2, 3]);
  expect(dropout(x, 0.5, new Ctx(false))).toBe(x);
  expect(dropout(x, 0, new Ctx(true))).toBe(x);
});

test('dropout: training multiplies by the fed {0, 1/(1−p)} mask', () => {
  const x = input('x', [2, 3]);
  const ctx = new Ctx(true);
  const y = dropout(x, 0.5, ctx);
  const [{ tensor: mask, p }] = ctx.randomInputs;
  expect(p).toBe(0.5);
  const m = sampleDropoutMask(6, 0.5, new Rng(1));
  expect(new Set(m)).toEqual(new Set([0, 2]));
  const xs = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const r = runReference([x, mask], { y }, { x: xs, [mask.name!]: m });
  expect(Array.from(r.y.data)).toEqual(Array.from(xs, (v, i) => v * m[i]));
});

import { expect, test } from 'vitest';
import { input } from '../src/engine/tensor.ts';
import { defineGraph } from '../src/engine/graph.ts';
import { grad } from '../src/engine/autodiff/backward.ts';

test('a shape error names the op, both shapes and the calling line', () => {
  const a = input('a', [3, 4]);
  const b = input('b', [5, 6]);
  expect(() => a.matmul(b)).toThrow(
    /matmul\(\[3, 4\], \[5, 6\]\): inner dimensions differ \(4 vs 5\).*engine-errors\.test\.ts/,
  );
  expect(() => a.add(input('c', [3, 5]))).toThrow(
    /add\(\[3, 4\], \[3, 5\]\): shapes \[3, 4\] and \[3, 5\] do not broadcast/,
  );
  expect(() => a.reshape([5, -1])).toThrow(/cannot reshape \[3, 4\] \(12 elements\) to \[5, -1\]/);
});

test('graphs reject undeclared inputs and non-scalar losses', () => {
  const a = input('a', [2]);
  const b = input('b', [2]);
  expect(() => defineGraph([a], { y: a.add(b) })).toThrow(/uses input 'b' which is not in its input list/);
  expect(() => grad(a.exp(), [a])).toThrow(/loss must be a scalar, got shape \[2\]/);
});

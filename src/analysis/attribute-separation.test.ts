import { expect, test } from 'vitest';
import { attributeSeparation } from './attribute-separation.ts';

// Four unit vectors at 90° steps: distances 1 − cos are 1 between neighbours and 2 between opposites.
const square = [1, 0, 0, 1, -1, 0, 0, -1];

test('between classes: the hand-computed ratio, its permutation baseline and p value', () => {
  // classes 0..3 (one row each, scaled so normalisation matters), values A A B B: same-value pairs (0,1), (2,3)
  // at distance 1; different-value pairs (0,2)=2, (0,3)=1, (1,2)=1, (1,3)=2 → mean 1.5; ratio 1.5.
  // The three pairings of 2 + 2 items give ratios 1.5, 0.5, 1.5: baseline 7/6, P(ratio ≥ 1.5) = 2/3.
  const x = { data: Float32Array.from(square.map((v, i) => v * (1 + (i >> 1)))), n: 4, d: 2 };
  const r = attributeSeparation(x, [0, 1, 2, 3], ['A', 'A', 'B', 'B'], { permutations: 3000, seed: 1 });
  expect(r.values).toEqual(['A', 'B']);
  expect(r.between!.ratio).toBeCloseTo(1.5, 6);
  expect(r.between!.classes).toBe(4);
  expect(r.between!.mixedClasses).toBe(0);
  expect(r.between!.baseline).toBeCloseTo(7 / 6, 1);
  expect(r.between!.p).toBeGreaterThan(0.62);
  expect(r.between!.p).toBeLessThan(0.71);
  expect(r.within).toBeNull(); // one row per class
});

test('within a class: the same ratio over its rows; classes without two values of two rows are left out', () => {
  // class 0 holds the square with values a a b b (ratio 1.5); class 1 has a single value; class 2 has b only once
  const rows = [...square, 1, 0, 0, 1, 1, 0, 0, 1, 0.6, 0.8];
  const x = { data: Float32Array.from(rows), n: 9, d: 2 };
  const y = [0, 0, 0, 0, 1, 1, 2, 2, 2];
  const a = ['a', 'a', 'b', 'b', 'a', 'a', 'a', 'a', 'b'];
  const r = attributeSeparation(x, y, a, { permutations: 10 });
  expect(r.within!.classes).toBe(1);
  expect(r.within!.perClass).toEqual([{ cls: 0, ratio: expect.closeTo(1.5, 6) }]);
  expect(r.within!.ratio).toBeCloseTo(1.5, 6);
  // between: majority values a, a, a → no second value, so no between-class ratio
  expect(r.between).toBeNull();
});

test('a null attribute leaves the row out; counts are checked', () => {
  const x = { data: Float32Array.from(square), n: 4, d: 2 };
  const r = attributeSeparation(x, [0, 1, 2, 3], ['A', null, 'B', 'B'], { permutations: 0 });
  // classes 0, 2, 3 (class 1 has no row left): same pair (2,3) = 1, different (0,2) = 2, (0,3) = 1 → 1.5
  expect(r.between!.ratio).toBeCloseTo(1.5, 6);
  expect(r.between!.classes).toBe(3);
  expect(() => attributeSeparation(x, [0, 1, 2, 3], ['A'])).toThrow(/expected 4 attribute values, got 1/);
});

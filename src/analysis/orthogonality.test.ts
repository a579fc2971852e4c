import { describe, expect, test } from 'vitest';
import { interClassSubspace, variantAnalysis } from './orthogonality.ts';
import { traitOrderCorrelation } from './trait-order.ts';
import { Rng } from '../util/rng.ts';

/** 3 classes along axes e0, e1 (class means differ in span{e0,e1} after centring); variants shift along `dir`. */
function variantSet(rng: Rng, dir: (c: number) => number[], d = 6) {
  const rows: number[][] = [];
  const y: number[] = [];
  const v: string[] = [];
  const means = [
    [3, 0],
    [0, 3],
    [-3, -3],
  ];
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < 40; i++) {
      const variant = i % 2 ? 'adult' : 'juvenile';
      const base = Array.from({ length: d }, (_, j) => (j < 2 ? means[c][j] : 0) + (j === d - 1 ? 10 : 0));
      const s = variant === 'adult' ? 0.5 : -0.5;
      const shift = dir(c);
      rows.push(base.map((b, j) => b + s * shift[j] + rng.normal() * 0.05));
      y.push(c);
      v.push(variant);
    }
  return { x: { data: Float32Array.from(rows.flat()), n: rows.length, d }, y, v };
}

describe('orthogonality (clade-defined, §B.3)', () => {
  test('inter-class subspace has rank K−1 and contains the centred means', () => {
    const s = variantSet(new Rng(1), () => [0, 0, 1, 0, 0, 0]);
    const S = interClassSubspace(s.x, s.y);
    expect(S.r).toBe(2);
    for (let a = 0; a < 2; a++)
      for (let b = 0; b < 2; b++) {
        let dot = 0;
        for (let j = 0; j < 6; j++) dot += S.basis[a * 6 + j] * S.basis[b * 6 + j];
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 10);
      }
  });

  test('orthogonal variant shifts give ρ ≈ 0, θ ≈ 90°; aligned shifts give ρ ≈ 1', () => {
    const ortho = variantAnalysis(...args(variantSet(new Rng(2), () => [0, 0, 1, 0, 0, 0])));
    const aligned = variantAnalysis(
      ...args(variantSet(new Rng(2), (c) => (c === 0 ? [1, 0, 0, 0, 0, 0] : [0, 1, 0, 0, 0, 0]))),
    );
    expect(ortho.meanRatio).toBeLessThan(0.01);
    expect(ortho.meanAngleDeg).toBeGreaterThan(84);
    expect(aligned.meanRatio).toBeGreaterThan(0.9);
    expect(ortho.randomBaseline).toBeCloseTo(2 / 6, 12);
    expect(ortho.meanFisher).toBeGreaterThan(10); // variants well separated in the complement
    expect(ortho.meanFisherTrace).toBeGreaterThan(1);
    expect(ortho.perClass).toHaveLength(3);
  });
});

function args(s: ReturnType<typeof variantSet>) {
  return [s.x, s.y, s.v, 'adult', 'juvenile'] as const;
}

describe('trait order (clade-defined, §B.3)', () => {
  test('class means laid out along a line in trait order → |ρ| = τ = 1, oriented non-negative', () => {
    const rng = new Rng(4);
    const trait = [1.2, 3.4, 0.5, 2.0, 5.1];
    const rows: number[] = [];
    const y: number[] = [];
    trait.forEach((t, c) => {
      for (let i = 0; i < 10; i++) {
        rows.push(-t, 1 + rng.normal() * 0.01, rng.normal() * 0.01, 2);
        y.push(c);
      }
    });
    const r = traitOrderCorrelation({ data: Float32Array.from(rows), n: y.length, d: 4 }, y, trait);
    expect(r.spearman).toBeCloseTo(1, 10);
    expect(r.kendall).toBeCloseTo(1, 10);
    expect(r.oriented).toBe(true);
    const shuffled = traitOrderCorrelation(
      { data: Float32Array.from(rows), n: y.length, d: 4 },
      y,
      [5.1, 0.5, 3.4, 1.2, 2.0],
    );
    expect(shuffled.spearman).toBeLessThan(0.9);
  });
});

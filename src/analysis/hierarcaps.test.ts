import { describe, expect, test } from 'vitest';
import { radius, exteriorAngle } from './radial.ts';
import { hierarchicalRetrieval, hcPrecision, hcRecall, dCorr, hierarcapsEvaluate } from './hierarcaps.ts';

describe('radial geometry (§C.2)', () => {
  test('radius and exterior angle on hand-made points', () => {
    const r = [0, 0, 1];
    const u = [0, 1, 0];
    expect(radius(u, r)).toBeCloseTo(Math.SQRT2, 12);
    // ‖e − r‖² = 2(1 − ⟨e, r⟩) for unit vectors
    expect(radius([1, 0, 0], r) ** 2).toBeCloseTo(2 * (1 - 0), 12);
    const ray = [0, 2, -1]; // u + (u − r): continuing straight out from the root
    expect(exteriorAngle(r, u, ray)).toBeCloseTo(0, 7);
    expect(exteriorAngle(r, u, [0, 0, 1])).toBeCloseTo(Math.PI, 7);
    expect(exteriorAngle(r, u, [1, 1, 0])).toBeCloseTo(Math.PI / 2, 7);
  });
});

describe('HierarCaps hierarchical retrieval (§C.6)', () => {
  // 1-D radii and hand-set similarities: candidates 0..4; the sweep reveals them in radius order.
  const cand = { data: new Float32Array([1, 0, 0.9, 0.1, 0.1, 0.9, 0.95, 0.05, 0.2, 0.8]), n: 5, d: 2 };
  const radii = [0.1, 0.3, 0.5, 0.7, 0.9];
  test('sweep with consecutive de-duplication', () => {
    // image along x: best within radius ≤ τ is always candidate 0 (sim 1 is max): one prediction only
    expect(hierarchicalRetrieval([1, 0], cand, radii)).toEqual([0]);
    // image along y: as τ grows candidates 0 → 1 → 2 become best; 3 (0.95,0.05) is worse than 2; 4 worse than 2
    expect(hierarchicalRetrieval([0, 1], cand, radii)).toEqual([0, 1, 2]);
    // first index wins ties
    const tie = { data: new Float32Array([0, 1, 0, 1]), n: 2, d: 2 };
    expect(hierarchicalRetrieval([0, 1], tie, [0.2, 0.2])).toEqual([0]);
    // a coarser sweep (2 steps) skips the intermediate level
    expect(hierarchicalRetrieval([0, 1], cand, radii, { steps: 2 })).toEqual([0, 2]);
  });

  test('precision, recall and d_corr', () => {
    expect(hcPrecision(['a', 'b', 'b', 'z'], new Set(['a', 'b', 'c', 'd']))).toBeCloseTo(2 / 3, 12);
    expect(hcPrecision([], new Set(['a']))).toBe(0);
    expect(
      hcRecall(
        ['a', 'x'],
        [
          ['a', 'b', 'c', 'd'],
          ['e', 'x', 'g', 'h'],
        ],
      ),
    ).toBe(0.5);
    expect(dCorr([[0.1, 0.2, 0.3, 0.4]])).toBeCloseTo(1, 12);
    expect(dCorr([[0.4, 0.3, 0.2, 0.1]])).toBeCloseTo(-1, 12);
    // one swap among 6 pairs: (5 − 1)/6; tie keeps level order in the argsort form → 1
    expect(
      dCorr([
        [0.1, 0.3, 0.2, 0.4],
        [0.1, 0.1, 0.2, 0.3],
      ]),
    ).toBeCloseTo((4 / 6 + 1) / 2, 12);
  });

  test('end-to-end on hand-built chains', () => {
    const root = [0, 0, 1];
    const s = Math.SQRT1_2;
    // chain A along +x, chain B along +y, from general (near root) to specific (far)
    const pool = [
      'animal',
      'dog',
      'dog on grass',
      'a dog running on grass',
      'object',
      'car',
      'red car',
      'a red car parked',
    ];
    const ang = [0.3, 0.6, 0.9, 1.2];
    const rows: number[] = [];
    for (const dir of [
      [1, 0],
      [0, 1],
    ])
      for (const a of ang) rows.push(dir[0] * Math.sin(a), dir[1] * Math.sin(a), Math.cos(a));
    const texts = { data: Float32Array.from(rows), n: 8, d: 3 };
    const images = { data: new Float32Array([Math.sin(1.3), 0, Math.cos(1.3), 0, s, s]), n: 2, d: 3 };
    const r = hierarcapsEvaluate(
      images,
      texts,
      pool,
      root,
      [
        { image: 0, chains: [pool.slice(0, 4)] },
        { image: 1, chains: [pool.slice(4)] },
      ],
      [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
      ],
    );
    expect(r.perImage[0].preds).toEqual(['animal', 'dog', 'dog on grass', 'a dog running on grass']);
    expect(r.perImage[0].precision).toBe(1);
    expect(r.perImage[0].recall).toBe(1);
    expect(r.dCorr).toBe(1);
    expect(r.precision).toBeGreaterThan(0.5);
  });
});

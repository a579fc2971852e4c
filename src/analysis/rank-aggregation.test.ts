import { describe, expect, test } from 'vitest';
import {
  aggregateByRank,
  taxaFilter,
  applyFilter,
  abstain,
  lcaDepth,
  mistakeSeverity,
  binProbabilities,
  perRankAccuracy,
  rankKey,
} from './rank-aggregation.ts';
import { prefixKey } from '../data/taxonomy/taxonomy.ts';
import { chanceByRank } from '../report/chance.ts';
import { zeroShot } from './zero-shot.ts';

// A known taxonomy with a genus homonym ('Alpha' in two families).
const L = [
  ['Animalia', 'Chordata', 'Aves', 'Passeriformes', 'Fringillidae', 'Alpha', 'a'],
  ['Animalia', 'Chordata', 'Aves', 'Passeriformes', 'Fringillidae', 'Alpha', 'b'],
  ['Animalia', 'Chordata', 'Aves', 'Passeriformes', 'Corvidae', 'Alpha', 'c'],
  ['Animalia', 'Chordata', 'Mammalia', 'Carnivora', 'Felidae', 'Felis', 'catus'],
  ['Plantae', 'Tracheophyta', 'Magnoliopsida', 'Rosales', 'Rosaceae', 'Rosa', 'canina'],
];
const p = [0.3, 0.25, 0.2, 0.25 - 1e-10, 1e-10];

describe('rank aggregation (pybioclip §A.7)', () => {
  test('sums by full rank prefix, keeps homonyms apart, applies minProb', () => {
    const genus = aggregateByRank(p, L, 'genus', { k: 10 });
    expect(genus.map((g) => g.name)).toEqual([
      'Animalia Chordata Aves Passeriformes Fringillidae Alpha',
      'Animalia Chordata Mammalia Carnivora Felidae Felis',
      'Animalia Chordata Aves Passeriformes Corvidae Alpha',
    ]);
    expect(genus[0].score).toBeCloseTo(0.55, 12);
    const kingdom = aggregateByRank(p, L, 'kingdom', { k: 10 });
    expect(kingdom).toHaveLength(1); // Plantae's 1e-10 ≤ minProb 1e-9 is dropped
    expect(kingdom[0].score).toBeCloseTo(1 - 1e-10, 12);
    expect(aggregateByRank(p, L, 'kingdom', { k: 10, minProb: 0 })).toHaveLength(2);
    expect(aggregateByRank(p, L, 'class', { k: 1 })[0].lineage).toEqual(['Animalia', 'Chordata', 'Aves']);
  });

  test('subset filter renormalises within the subset', () => {
    const W = { data: new Float32Array([1, 0, 0.8, 0.6, 0.6, 0.8, 0, 1, -1, 0]), n: 5, d: 2 };
    const mask = taxaFilter(L, 'class', ['Aves']);
    expect(Array.from(mask)).toEqual([1, 1, 1, 0, 0]);
    const { W: sub, columns } = applyFilter(W, mask);
    expect(Array.from(columns)).toEqual([0, 1, 2]);
    const x = { data: new Float32Array([0, 1]), n: 1, d: 2 };
    const full = zeroShot(x, W, { scale: 10 });
    const part = zeroShot(x, sub, { scale: 10 });
    const z = full[0] + full[1] + full[2];
    for (let j = 0; j < 3; j++) expect(part[j]).toBeCloseTo(full[j] / z, 6);
    expect(() => taxaFilter(L, 'class', ['Reptilia'])).toThrow(/keeps no taxa/);
  });

  test('abstention stops at the deepest confident rank', () => {
    expect(abstain(p, L, 0.5)).toMatchObject({
      rank: 'genus',
      name: 'Animalia Chordata Aves Passeriformes Fringillidae Alpha',
      lineage: ['Animalia', 'Chordata', 'Aves', 'Passeriformes', 'Fringillidae', 'Alpha'],
    });
    expect(abstain(p, L, 0.7)).toMatchObject({ rank: 'order', score: expect.closeTo(0.75, 12) });
    expect(abstain(p, L, 0.76)).toMatchObject({ rank: 'phylum' });
    expect(abstain(p, L, 0.29)).toMatchObject({ rank: 'species' });
    expect(abstain([0.5, 0, 0, 0, 0.5], L, 0.9)).toBeNull();
  });

  test('mistake severity via LCA depth', () => {
    expect(lcaDepth(L[0], L[1])).toBe(6);
    expect(lcaDepth(L[0], L[2])).toBe(4);
    expect(lcaDepth(L[0], L[4])).toBe(0);
    expect(lcaDepth(L[3], L[3])).toBe(7);
    const s = mistakeSeverity([L[0], L[2], L[4]], [L[0], L[0], L[0]]);
    expect(s.mistakes).toBe(2);
    expect(s.meanLcaDepth).toBe(2);
    expect(s.meanSeverity).toBe(5);
    expect(s.histogram[7]).toBe(1);
  });

  test('a lineage is keyed by its ranks as a tuple: ("Alpha beta", "gamma") and ("Alpha", "beta gamma") stay apart', () => {
    const T = [
      ['Alpha beta', 'gamma', 'x'],
      ['Alpha', 'beta gamma', 'y'],
    ];
    // 0.6 vs 0.4: space-joined keys would merge both into 'Alpha beta gamma' with score 1
    const g = aggregateByRank([0.6, 0.4], T, 1, { k: 5 });
    expect(g.map((s) => s.lineage)).toEqual([
      ['Alpha beta', 'gamma'],
      ['Alpha', 'beta gamma'],
    ]);
    expect(g.map((s) => s.score)).toEqual([0.6, 0.4]);
    expect(g[0].name).toBe(g[1].name); // same display string, different clades
    // per-rank accuracy: image of lineage 1 predicted as lineage 0 at rank 1 is wrong
    expect(perRankAccuracy(new Float32Array([0.6, 0.4]), 2, T, [T[1]], { ranks: [0, 1] })).toEqual({
      kingdom: 0,
      phylum: 0,
    });
    expect(abstain([0.6, 0.4], T, 0.7)).toBeNull(); // no prefix reaches 0.7 once they are apart
    // chance counts taxa as prefixes too: 'Alpha' under two families is two genera
    expect(chanceByRank(L, 7)[5]).toBe(1 / 4);
    // the same key as the Taxonomy's prefixKey, missing and empty names included
    for (const l of [...T, ['A', null, 'C'], ['A', '', 'C'], ['A/B', 'C']])
      for (let r = 0; r < l.length; r++) expect(rankKey(l, r)).toBe(prefixKey(l, r));
  });

  test('binning and per-rank accuracy', () => {
    const b = binProbabilities(p, ['bird', 'bird', 'bird', 'cat', null]);
    expect(b.get('bird')).toBeCloseTo(0.75, 12);
    const probs = new Float32Array([...p, 0.1, 0.1, 0.6, 0.1, 0.1]);
    const acc = perRankAccuracy(probs, 5, L, [L[1], L[0]]);
    // image 0 (truth b): species pred a ✗, genus Fringillidae-Alpha ✓; image 1 (truth a): species c ✗, family ✗, order ✓
    expect(acc.species).toBe(0);
    expect(acc.genus).toBe(0.5);
    expect(acc.family).toBe(0.5);
    expect(acc.order).toBe(1);
  });
});

describe('per-rank accuracy at scale', () => {
  test('grouped fast path agrees with aggregateByRank on random probabilities', async () => {
    const { Rng } = await import('../util/rng.ts');
    const { rankKey } = await import('./rank-aggregation.ts');
    const rng = new Rng(8);
    const K = L.length;
    const N = 50;
    const probs = new Float32Array(N * K);
    for (let i = 0; i < N; i++) {
      let s = 0;
      for (let j = 0; j < K; j++) s += probs[i * K + j] = rng.float();
      for (let j = 0; j < K; j++) probs[i * K + j] /= s;
    }
    const truth = Array.from({ length: N }, () => L[rng.int(K)]);
    const fast = perRankAccuracy(probs, K, L, truth);
    for (const [r, name] of ['kingdom', 'class', 'family', 'genus', 'species'].entries()) {
      void r;
      let ok = 0;
      for (let i = 0; i < N; i++) {
        const top = aggregateByRank(probs.subarray(i * K, (i + 1) * K), L, name as 'genus', { k: 1 })[0];
        if (
          top.key ===
          rankKey(
            truth[i],
            ['kingdom', 'phylum', 'class', 'order', 'family', 'genus', 'species'].indexOf(name),
          )
        )
          ok++;
      }
      expect(fast[name]).toBe(ok / N);
    }
  });
});

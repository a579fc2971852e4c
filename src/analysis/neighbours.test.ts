import { describe, expect, test } from 'vitest';
import { gemmNT, matmul } from './kernels.ts';
import { similarityTopKJs as similarityTopK } from './top-k-js.ts';
import { classHomogeneityCurve } from './class-homogeneity.ts';
import { knnClassify } from './knn.ts';
import { Rng } from '../util/rng.ts';
import type { Embeddings } from '../io/embeddings.ts';

function randn(rng: Rng, n: number, d: number): Embeddings {
  return { data: rng.normalArray(n * d), n, d };
}

describe('kernels', () => {
  test('gemmNT matches naive products for ragged sizes', () => {
    const rng = new Rng(1);
    const a = randn(rng, 11, 7);
    const b = randn(rng, 6, 7);
    const out = new Float64Array(9 * 5);
    gemmNT(a.data, 2, 11, b.data, 1, 6, 7, out);
    for (let i = 2; i < 11; i++)
      for (let j = 1; j < 6; j++) {
        let s = 0;
        for (let k = 0; k < 7; k++) s += a.data[i * 7 + k] * b.data[j * 7 + k];
        expect(out[(i - 2) * 5 + j - 1]).toBeCloseTo(s, 10);
      }
    const c = matmul(new Float64Array([1, 2, 3, 4, 5, 6]), new Float64Array([1, 0, 0, 1, 1, 1]), 2, 3, 2);
    expect(Array.from(c)).toEqual([4, 5, 10, 11]);
  });

  test('the js top-k kernel equals brute force, excludes self, breaks ties by lower index', () => {
    const rng = new Rng(2);
    const x = randn(rng, 53, 5);
    const nn = similarityTopK(x, x, 7, { excludeSelf: true, rowBlock: 8, colBlock: 10 });
    for (let i = 0; i < x.n; i++) {
      const s = Array.from({ length: x.n }, (_, j) => {
        let v = 0;
        for (let k = 0; k < 5; k++) v += x.data[i * 5 + k] * x.data[j * 5 + k];
        return { j, v };
      })
        .filter((o) => o.j !== i)
        .sort((p, q) => q.v - p.v || p.j - q.j)
        .slice(0, 7)
        .map((o) => o.j);
      expect(Array.from(nn.index.subarray(i * 7, i * 7 + 7))).toEqual(s);
    }
    const plain = similarityTopK(x, x, 7, { excludeSelf: true, symmetric: false, rowBlock: 16, colBlock: 9 });
    expect(Array.from(plain.index)).toEqual(Array.from(nn.index));
    const withSelf = similarityTopK(x, x, 3, { rowBlock: 8, colBlock: 10 });
    const copy = similarityTopK(x, { ...x }, 3);
    expect(Array.from(withSelf.index)).toEqual(Array.from(copy.index));
    const dup = { data: new Float32Array([1, 0, 1, 0, 1, 0, 0, 1]), n: 4, d: 2 };
    const t = similarityTopK(dup, dup, 2, { excludeSelf: true, colBlock: 1 });
    expect(Array.from(t.index.subarray(0, 2))).toEqual([1, 2]);
    expect(Array.from(t.index.subarray(4, 6))).toEqual([0, 1]);
  });
});

describe('class homogeneity and kNN', () => {
  // Two classes on two separated lines: nearest neighbours are same-class until p exceeds the class size.
  const pts: number[] = [];
  const y: number[] = [];
  for (let c = 0; c < 2; c++)
    for (let i = 0; i < 10; i++) {
      pts.push(c === 0 ? 1 : 0.01 * i, c === 0 ? 0.01 * i : 1);
      y.push(c);
    }
  const x = { data: Float32Array.from(pts), n: 20, d: 2 };

  test.each(['js', 'ort'] as const)('known curve on separated classes (%s)', async (backend) => {
    const curve = await classHomogeneityCurve(x, y, [1, 9, 19], { backend });
    expect(curve[0].value).toBe(1);
    expect(curve[1].value).toBe(1);
    expect(curve[2].value).toBeCloseTo(9 / 19, 12);
  });

  test('homogeneity is invariant to permutation and label renaming', async () => {
    const rng = new Rng(5);
    const z = randn(rng, 120, 6);
    const lab = Int32Array.from(
      { length: 120 },
      (_, i) => (z.data[i * 6] > 0 ? 1 : 0) + (z.data[i * 6 + 1] > 0 ? 2 : 0),
    );
    const base = await classHomogeneityCurve(z, lab, [1, 5, 20], { backend: 'js' });
    const perm = rng.permutation(120);
    const pz = new Float32Array(z.data.length);
    const pl = new Int32Array(120);
    perm.forEach((s, d) => {
      pz.set(z.data.subarray(s * 6, s * 6 + 6), d * 6);
      pl[d] = 3 - lab[s];
    });
    const got = await classHomogeneityCurve({ data: pz, n: 120, d: 6 }, pl, [1, 5, 20], { backend: 'js' });
    got.forEach((g, i) => expect(g.value).toBeCloseTo(base[i].value, 12));
    expect(base[0].value).toBeGreaterThan(0.6); // quadrant labels are locally coherent
  });

  test.each(['js', 'ort'] as const)(
    'weighted and majority kNN on a constructed case (%s)',
    async (backend) => {
      // Query at angle 0; 3 far-ish class-1 neighbours outvote 1 very close class-0 neighbour under majority,
      // but exp(sim/T) with small T lets the close one win the weighted vote.
      const train = {
        data: new Float32Array([
          1,
          0.001,
          Math.cos(0.5),
          Math.sin(0.5),
          Math.cos(0.55),
          -Math.sin(0.55),
          Math.cos(0.6),
          Math.sin(0.6),
        ]),
        n: 4,
        d: 2,
      };
      const ty = [0, 1, 1, 1];
      const q = { data: new Float32Array([1, 0]), n: 1, d: 2 };
      const knn = (o: Parameters<typeof knnClassify>[4]) => knnClassify(train, ty, q, [0], { ...o, backend });
      expect((await knn({ k: 4, temperature: 0.01 })).predictions[0]).toBe(0);
      expect((await knn({ k: 4, vote: 'majority' })).predictions[0]).toBe(1);
      const r = await knnClassify(x, y, x, y, { k: 3, backend });
      expect(r.top1).toBe(1);
      expect(r.top5).toBe(1);
    },
  );
});

import { expect, test } from 'vitest';
import { l2Normalize, type Embeddings } from '../io/embeddings.ts';
import { Rng } from '../util/rng.ts';
import { IvfIndex, type RowScan } from './ivf.ts';
import { similarityTopK } from './top-k.ts';

/** `n` rows of a 30-centre Gaussian mixture in 24-d, not normalised. */
function mixture(n: number, seed = 1): Embeddings {
  const rng = new Rng(seed);
  const d = 24;
  const centres = rng.normalArray(30 * d);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) data[i * d + j] = 3 * centres[(i % 30) * d + j] + rng.normal() + 0.5;
  return { data, n, d };
}

const scanOf = (x: Embeddings): RowScan =>
  async function* (batch) {
    for (let first = 0; first < x.n; first += batch) {
      const n = Math.min(batch, x.n - first);
      yield { first, x: { data: x.data.subarray(first * x.d, (first + n) * x.d), n, d: x.d } };
    }
  };

test.each([16384, 256])(
  'IVF on the engine (candidate block %i): every list probed equals the exact search; rows left out are never returned; lists hold every row once',
  async (block) => {
    const x = mixture(1500);
    const skip = new Set([3, 700, 1499]);
    const rows = Int32Array.from({ length: x.n }, (_, i) => i).filter((i) => !skip.has(i));
    // a 256-row block splits the 1,497 candidates into 6 blocks whose top lists are merged
    const ivf = await IvfIndex.build(scanOf(x), rows, x.d, {
      lists: 12,
      nprobe: 12,
      batch: 256,
      seed: 2,
      block,
    });
    try {
      expect(ivf.params).toMatchObject({ lists: 12, nprobe: 12 });
      const seen: number[] = [];
      const z = l2Normalize(x);
      for await (const g of ivf.lists()) {
        seen.push(...g.rows);
        // unit rows and norms give back the raw rows
        for (let i = 0; i < g.z.n; i += 97)
          for (let j = 0; j < x.d; j++)
            expect(g.z.data[i * x.d + j] * g.norm[i]).toBeCloseTo(x.data[g.rows[i] * x.d + j], 4);
      }
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from(rows));

      const q = { data: z.data.subarray(0, 200 * x.d), n: 200, d: x.d };
      const k = 15;
      const got = await ivf.search(q, k);
      const keys = { data: new Float32Array(rows.length * x.d), n: rows.length, d: x.d };
      rows.forEach((r, i) => keys.data.set(z.data.subarray(r * x.d, (r + 1) * x.d), i * x.d));
      const want = await similarityTopK(q, keys, k);
      for (let i = 0; i < q.n; i++)
        for (let j = 0; j < k; j++) {
          expect(got.row[i * k + j]).toBe(rows[want.index[i * k + j]]);
          expect(got.distance[i * k + j]).toBeCloseTo(1 - want.score[i * k + j], 5);
        }
    } finally {
      ivf.close();
    }
  },
  60_000,
);

test('IVF on the engine: 4 of 40 lists probed keep recall@10 above 0.9 on a clustered set; a limit beyond the candidates returns -1', async () => {
  const x = mixture(4000, 3);
  const rows = Int32Array.from({ length: x.n }, (_, i) => i);
  const ivf = await IvfIndex.build(scanOf(x), rows, x.d, { lists: 40, nprobe: 4, seed: 1 });
  try {
    const z = l2Normalize(x);
    const q = { data: z.data.subarray(0, 300 * x.d), n: 300, d: x.d };
    const got = await ivf.search(q, 10);
    const want = await similarityTopK(q, z, 10);
    let hit = 0;
    for (let i = 0; i < q.n; i++) {
      const w = new Set(want.index.subarray(i * 10, (i + 1) * 10));
      for (let j = 0; j < 10; j++) if (w.has(got.row[i * 10 + j])) hit++;
    }
    expect(hit / (q.n * 10)).toBeGreaterThan(0.9);
    expect(hit / (q.n * 10)).toBeLessThanOrEqual(1);

    const one = await IvfIndex.build(scanOf(x), rows.subarray(0, 50), x.d, { lists: 5, nprobe: 1 });
    try {
      const h = await one.search({ data: z.data.subarray(0, x.d), n: 1, d: x.d }, 60);
      const found = Array.from(h.row).filter((r) => r >= 0);
      expect(found.length).toBeLessThan(50);
      expect(found.every((r) => r < 50)).toBe(true);
      expect(Array.from(h.row.subarray(found.length)).every((r) => r === -1)).toBe(true);
    } finally {
      one.close();
    }
  } finally {
    ivf.close();
  }
}, 60_000);

import { describe, expect, test } from 'vitest';
import { l2Normalize } from '../io/embeddings.ts';
import { Rng } from '../util/rng.ts';
import { classHomogeneityCurve, homogeneityFromTopK } from './class-homogeneity.ts';
import { knnClassify } from './knn.ts';
import { relativeLocalDensity } from './rld.ts';
import { similarityTopK } from './top-k.ts';

// The `ort` backend (ONNX Runtime graphs, float32) against the `js` float64 reference, metric by metric.
describe('ort and js backends agree', () => {
  test('top-k: same neighbours (self-kNN with self excluded, chunked), scores to 1e-4', async () => {
    const rng = new Rng(3);
    const n = 300;
    const d = 16;
    const x = { data: rng.normalArray(n * d), n, d };
    const ref = await similarityTopK(x, x, 7, { excludeSelf: true, backend: 'js' });
    const got = await similarityTopK(x, x, 7, { excludeSelf: true, chunk: 64 });
    expect(got.k).toBe(7);
    expect(Array.from(got.index)).toEqual(Array.from(ref.index));
    for (let i = 0; i < got.score.length; i++) expect(got.score[i]).toBeCloseTo(ref.score[i], 4);
    for (let i = 0; i < n; i++) for (let j = 0; j < 7; j++) expect(got.index[i * 7 + j]).not.toBe(i);
  });

  test('kNN predictions and the class-homogeneity curve', async () => {
    const rng = new Rng(12);
    const n = 300;
    const d = 16;
    const data = rng.normalArray(n * d);
    const y = Int32Array.from(
      { length: n },
      (_, i) => (data[i * d] > 0 ? 1 : 0) + (data[i * d + 1] > 0 ? 2 : 0),
    );
    const x = { data, n, d };
    const js = await classHomogeneityCurve(x, y, [1, 5, 50], { backend: 'js' });
    const ort = await classHomogeneityCurve(x, y, [1, 5, 50]);
    ort.forEach((v, i) => expect(v.value).toBeCloseTo(js[i].value, 12));
    const tr = { data: data.subarray(0, 200 * d), n: 200, d };
    const te = { data: data.subarray(200 * d), n: 100, d };
    const a = await knnClassify(tr, y.subarray(0, 200), te, y.subarray(200), { k: 20, backend: 'js' });
    const b = await knnClassify(tr, y.subarray(0, 200), te, y.subarray(200), { k: 20 });
    expect(Array.from(b.predictions)).toEqual(Array.from(a.predictions));
    expect(a.top1).toBeGreaterThan(0.6);
    const z = l2Normalize(x);
    const short = await similarityTopK(z, z, 3, { excludeSelf: true });
    expect(() => homogeneityFromTopK(short, y, [5])).toThrow(/at least 5/);
  });

  test('RLD matches the reference vectors (cases B and C) to 1e-5 for every chunk size', async () => {
    const xa = { data: Float32Array.from([0, 0, 0, 1, 1, 0, 5, 5, 5, 6, 6, 5]), n: 6, d: 2 };
    const xc = {
      data: Float32Array.from([
        1, 0, 0, 0.9, 0.1, 0, 0, 1, 0, 0.1, 0.9, 0.1, 0, 0, 1, 0.1, 0, 0.9, 0.5, 0.5, 0,
      ]),
      n: 7,
      d: 3,
    };
    const cases = [
      { x: xa, y: [0, 1, 0, 1, 0, 1], temps: [1, 0.1], want: [-0.141452, -0.054504] },
      { x: xc, y: [0, 0, 1, 1, 2, 2, 0], temps: [1, 0.2, 0.1], want: [0.290034, 0.647785, 0.664245] },
    ];
    for (const { x, y, temps, want } of cases)
      for (const chunk of [1, 2, 3, 5, 100]) {
        const r = await relativeLocalDensity(x, y, { temperatures: temps, normalize: false, chunk });
        want.forEach((v, i) => expect(Math.abs(r.rld[i] - v)).toBeLessThan(1e-5));
      }
  });

  test('RLD on clustered and on unclustered data, across chunk sizes', async () => {
    const rng = new Rng(8);
    const n = 500;
    const d = 12;
    const y = Int32Array.from({ length: n }, (_, i) => i % 5);
    const data = new Float32Array(n * d);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < d; j++) data[i * d + j] = (j === y[i] ? 2 : 0) + rng.normal();
    const x = { data, n, d };
    const temps = [1, 0.2, 0.05];
    const ref = await relativeLocalDensity(x, y, { temperatures: temps, backend: 'js' });
    const a = await relativeLocalDensity(x, y, { temperatures: temps, chunk: 128 });
    const b = await relativeLocalDensity(x, y, { temperatures: temps, chunk: 500 });
    for (let t = 0; t < temps.length; t++) {
      expect(a.rld[t]).toBeCloseTo(ref.rld[t], 4);
      expect(b.rld[t]).toBeCloseTo(a.rld[t], 5);
    }
    expect(a.meanDistance).toBeCloseTo(ref.meanDistance, 5);
    const noise = { data: new Rng(13).normalArray(500 * 12), n: 500, d: 12 };
    const y2 = Int32Array.from({ length: 500 }, (_, i) => (noise.data[i * 12] > 0 ? 1 : 0));
    const js = await relativeLocalDensity(noise, y2, { temperatures: [1, 0.1, 0.02], backend: 'js' });
    const ort = await relativeLocalDensity(noise, y2, { temperatures: [1, 0.1, 0.02], chunk: 64 });
    ort.rld.forEach((v, i) => expect(v).toBeCloseTo(js.rld[i], 5));
  });
});

import { expect, test } from 'vitest';
import { Rng } from '../util/rng.ts';
import { l2Normalize } from '../io/embeddings.ts';
import { similarityTopKOrt } from './ort-topk.ts';
import { knnClassify, knnVote } from './knn.ts';
import { classHomogeneityCurve, homogeneityFromTopK } from './class-homogeneity.ts';

test('kNN vote and homogeneity curve give the same results on ONNX Runtime neighbours', async () => {
  const rng = new Rng(12);
  const n = 300;
  const d = 16;
  const data = rng.normalArray(n * d);
  const y = Int32Array.from(
    { length: n },
    (_, i) => (data[i * d] > 0 ? 1 : 0) + (data[i * d + 1] > 0 ? 2 : 0),
  );
  const x = { data, n, d };
  const z = l2Normalize(x);
  const curve = classHomogeneityCurve(x, y, [1, 5, 50]);
  const viaOrt = homogeneityFromTopK(await similarityTopKOrt(z, z, 50, { excludeSelf: true }), y, [1, 5, 50]);
  viaOrt.forEach((v, i) => expect(v.value).toBeCloseTo(curve[i].value, 12));
  const tr = { data: data.subarray(0, 200 * d), n: 200, d };
  const te = { data: data.subarray(200 * d), n: 100, d };
  const js = knnClassify(tr, y.subarray(0, 200), te, y.subarray(200), { k: 20 });
  const ort = knnVote(
    await similarityTopKOrt(l2Normalize(te), l2Normalize(tr), 20),
    y.subarray(0, 200),
    y.subarray(200),
    4,
  );
  expect(Array.from(ort.predictions)).toEqual(Array.from(js.predictions));
  expect(js.top1).toBeGreaterThan(0.6);
  expect(() =>
    homogeneityFromTopK({ k: 3, index: new Int32Array(3 * n), score: new Float32Array(3 * n) }, y, [5]),
  ).toThrow(/at least 5/);
});

test('RLD with ONNX Runtime products matches the TypeScript version and the §E.2 reference vectors', async () => {
  const { relativeLocalDensity } = await import('./rld.ts');
  const { relativeLocalDensityOrt } = await import('./rld-ort.ts');
  const XA = { data: new Float32Array([0, 0, 0, 1, 1, 0, 5, 5, 5, 6, 6, 5]), n: 6, d: 2 };
  const a = await relativeLocalDensityOrt(XA, [0, 0, 0, 1, 1, 1], {
    temperatures: [1, 0.5, 0.1],
    normalize: false,
    chunk: 4,
  });
  [0.392172, 0.489986, 0.5].forEach((v, i) => expect(Math.abs(a.rld[i] - v)).toBeLessThan(1e-5));
  const rng = new Rng(13);
  const x = { data: rng.normalArray(500 * 12), n: 500, d: 12 };
  const y = Int32Array.from({ length: 500 }, (_, i) => (x.data[i * 12] > 0 ? 1 : 0));
  const ts = relativeLocalDensity(x, y, { temperatures: [1, 0.1, 0.02] });
  const ort = await relativeLocalDensityOrt(x, y, { temperatures: [1, 0.1, 0.02], chunk: 64 });
  ort.rld.forEach((v, i) => expect(v).toBeCloseTo(ts.rld[i], 5));
});

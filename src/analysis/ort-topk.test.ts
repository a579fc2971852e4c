import { expect, test } from 'vitest';
import { Rng } from '../util/rng.ts';
import { similarityTopK } from './kernels.ts';
import { similarityTopKOrt } from './ort-topk.ts';

test('ONNX Runtime top-k equals the JavaScript kernel (self-kNN with self excluded, chunked)', async () => {
  const rng = new Rng(3);
  const n = 300;
  const d = 16;
  const x = { data: rng.normalArray(n * d), n, d };
  const ref = similarityTopK(x, x, 7, { excludeSelf: true });
  const got = await similarityTopKOrt(x, x, 7, { excludeSelf: true, chunk: 64 });
  expect(got.k).toBe(7);
  expect(Array.from(got.index)).toEqual(Array.from(ref.index));
  for (let i = 0; i < got.score.length; i++) expect(got.score[i]).toBeCloseTo(ref.score[i], 4);
  for (let i = 0; i < n; i++) for (let j = 0; j < 7; j++) expect(got.index[i * 7 + j]).not.toBe(i);
});

import { expect, test } from 'vitest';
import { Rng } from '../util/rng.ts';
import { relativeLocalDensity } from './rld.ts';
import { relativeLocalDensityOrt } from './rld-ort.ts';

test('RLD on ONNX Runtime matches the reference vectors of methods.md §E.2 (case A, raw X)', async () => {
  const x = { data: Float32Array.from([0, 0, 0, 1, 1, 0, 5, 5, 5, 6, 6, 5]), n: 6, d: 2 };
  const r = await relativeLocalDensityOrt(x, [0, 0, 0, 1, 1, 1], {
    temperatures: [1, 0.5, 0.1],
    normalize: false,
  });
  expect(r.rld[0]).toBeCloseTo(0.392172, 5);
  expect(r.rld[1]).toBeCloseTo(0.489986, 5);
  expect(r.rld[2]).toBeCloseTo(0.5, 5);
});

test('RLD on ONNX Runtime matches §E.2 cases B and C to 1e-5, for every chunk size', async () => {
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
      const r = await relativeLocalDensityOrt(x, y, { temperatures: temps, normalize: false, chunk });
      want.forEach((v, i) => expect(Math.abs(r.rld[i] - v)).toBeLessThan(1e-5));
    }
});

test('RLD on ONNX Runtime equals the TypeScript implementation on clustered data, across chunk sizes', async () => {
  const rng = new Rng(8);
  const n = 500;
  const d = 12;
  const y = Int32Array.from({ length: n }, (_, i) => i % 5);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) data[i * d + j] = (j === y[i] ? 2 : 0) + rng.normal();
  const x = { data, n, d };
  const temps = [1, 0.2, 0.05];
  const ref = relativeLocalDensity(x, y, { temperatures: temps });
  const a = await relativeLocalDensityOrt(x, y, { temperatures: temps, chunk: 128 });
  const b = await relativeLocalDensityOrt(x, y, { temperatures: temps, chunk: 500 });
  for (let t = 0; t < temps.length; t++) {
    expect(a.rld[t]).toBeCloseTo(ref.rld[t], 4);
    expect(b.rld[t]).toBeCloseTo(a.rld[t], 5);
  }
});

import { expect, test } from 'vitest';
import { Rng } from '../util/rng.ts';
import { bceObjective, multiLabelProbe, scoreMultiLabel } from './multilabel-probe.ts';

test('mAP (scikit-learn average precision), macro-F1 at p ≥ 0.5 and exact match by hand', () => {
  // rows × 4 labels; label 0: scores 2, 1, −1, −2 for y 1, 0, 1, 0 → AP = ½·1 + ½·⅔ = 5/6, F1 (2 predicted: 1 TP, 1 FP,
  // 1 FN) = ½; label 1: tied positives on top → AP 1, F1 1; label 2: all tied at 0 → one threshold, AP = ¼, every row
  // predicted positive → F1 = 2/5; label 3 has no positive → left out. Exact match: only row 0.
  const scores = [2, 1, 0, -1, 1, -1, 0, -1, -1, 1, 0, -1, -2, -1, 0, -1];
  const y = Uint8Array.from([1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0]);
  const r = scoreMultiLabel(scores, y, 4);
  expect(r.labelsScored).toBe(3);
  expect(r.mAP).toBeCloseTo((5 / 6 + 1 + 1 / 4) / 3, 12);
  expect(r.macroF1).toBeCloseTo((1 / 2 + 1 + 2 / 5) / 3, 12);
  expect(r.exactMatch).toBe(1 / 4);
});

test('the objective’s gradient matches central finite differences', () => {
  const rng = new Rng(1);
  const n = 7;
  const d = 3;
  const L = 2;
  const x = { data: Float32Array.from({ length: n * d }, () => rng.normal()), n, d };
  const y = Uint8Array.from({ length: n * L }, () => (rng.float() < 0.5 ? 1 : 0));
  const f = bceObjective(x, y, L, 0.3);
  const theta = Float64Array.from({ length: L * (d + 1) }, () => 0.5 * rng.normal());
  const g = new Float64Array(theta.length);
  f(theta, g);
  const scratch = new Float64Array(theta.length);
  for (let k = 0; k < theta.length; k++) {
    const h = 1e-6;
    const tp = Float64Array.from(theta);
    const tm = Float64Array.from(theta);
    tp[k] += h;
    tm[k] -= h;
    expect(g[k]).toBeCloseTo((f(tp, scratch) - f(tm, scratch)) / (2 * h), 6);
  }
});

test('on labels set by the signs of three coordinates the probe reaches mAP and macro-F1 near 1', async () => {
  const rng = new Rng(2);
  const make = (n: number) => {
    const d = 6;
    const x = new Float32Array(n * d);
    const y = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) x[i * d + j] = rng.normal();
      for (let l = 0; l < 3; l++) y[i * 3 + l] = x[i * d + l] > 0.3 ? 1 : 0;
    }
    return { x: { data: x, n, d }, y };
  };
  const tr = make(400);
  const te = make(200);
  const r = await multiLabelProbe(tr.x, tr.y, te.x, te.y, 3, { lambdas: [1e-1, 1e-4] });
  expect(r.validation.map((v) => v.lambda)).toEqual([1e-1, 1e-4]);
  expect(r.lambda).toBe(r.validation.reduce((a, b) => (b.mAP > a.mAP ? b : a)).lambda);
  expect(r.mAP).toBeGreaterThan(0.97);
  expect(r.macroF1).toBeGreaterThan(0.9);
  expect(r.exactMatch).toBeGreaterThan(0.75);
});

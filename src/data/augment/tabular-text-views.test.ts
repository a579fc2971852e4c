import { describe, expect, test } from 'vitest';
import { Rng } from '../../util/rng.ts';
import { FeatureMask, GaussianNoise, ScarfCorruption } from './tabular-views.ts';
import { TokenDropout, TokenMask } from './text-views.ts';

describe('tabular views', () => {
  const x = Float32Array.of(1, 2, 3, 4, 5, 6);

  test('FeatureMask replaces exactly the masked features with fill', () => {
    const fm = new FeatureMask({ rate: 0.5, fill: -1 });
    expect(Array.from(fm.apply(x, Uint8Array.of(1, 0, 0, 1, 0, 1)))).toEqual([-1, 2, 3, -1, 5, -1]);
    const r = new Rng(1);
    let masked = 0;
    for (let i = 0; i < 500; i++) masked += fm.sample(r, 6).reduce((a, b) => a + b, 0);
    expect(masked / 3000).toBeGreaterThan(0.45);
    expect(masked / 3000).toBeLessThan(0.55);
  });

  test('SCARF: a corrupted feature j takes table[row, j] (its empirical marginal); others unchanged', () => {
    const table = Float32Array.from({ length: 4 * 6 }, (_, i) => 100 + i); // row r, feature j -> 100 + 6r + j
    const sc = new ScarfCorruption({ rate: 0.6, table, rows: 4, features: 6 });
    const r = new Rng(2);
    for (let t = 0; t < 50; t++) {
      const p = sc.sample(r, 6);
      const v = sc.apply(x, p);
      for (let j = 0; j < 6; j++) {
        if (p.mask[j]) expect(v[j]).toBe(100 + 6 * p.rows[j] + j);
        else expect(v[j]).toBe(x[j]);
      }
    }
  });

  test('GaussianNoise adds std * z', () => {
    const g = new GaussianNoise({ std: 0.5 });
    const z = Float32Array.of(1, -2, 0, 0.5, 0, 0);
    expect(Array.from(g.apply(x, z))).toEqual([1.5, 1, 3, 4.25, 5, 6]);
    const v = g.forward(new Float32Array(20000), new Rng(3));
    const sd = Math.sqrt(v.reduce((a, b) => a + b * b, 0) / v.length);
    expect(sd).toBeCloseTo(0.5, 1);
  });
});

describe('text views', () => {
  const toks = Int32Array.of(1, 10, 11, 12, 13, 2, 0, 0); // start 1, end 2, pad 0

  test('TokenMask replaces chosen tokens with maskId, never special or padding tokens', () => {
    const tm = new TokenMask({ rate: 1, maskId: 3, padId: 0, specialIds: [1, 2] });
    expect(Array.from(tm.forward(toks, new Rng(0)))).toEqual([1, 3, 3, 3, 3, 2, 0, 0]);
    const half = new TokenMask({ rate: 0.5, maskId: 3, specialIds: [1, 2] });
    const m = half.sample(new Rng(4), toks);
    const out = half.apply(toks, m);
    for (let i = 0; i < toks.length; i++) expect(out[i]).toBe(m[i] ? 3 : toks[i]);
    expect(m[0] + m[5] + m[6] + m[7]).toBe(0);
  });

  test('TokenDropout removes chosen tokens, shifts left and pads the end', () => {
    const td = new TokenDropout({ rate: 0.5, padId: 0, specialIds: [1, 2] });
    expect(Array.from(td.apply(toks, Uint8Array.of(0, 1, 0, 1, 0, 0, 0, 0)))).toEqual([
      1, 11, 13, 2, 0, 0, 0, 0,
    ]);
    const r = new Rng(6);
    for (let t = 0; t < 20; t++) {
      const d = td.sample(r, toks);
      const out = td.apply(toks, d);
      expect(out.length).toBe(toks.length);
      expect(Array.from(out).filter((v) => v !== 0)).toEqual(
        Array.from(toks).filter((v, i) => v !== 0 && !d[i]),
      );
    }
  });
});

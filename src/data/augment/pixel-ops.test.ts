import { describe, expect, test } from 'vitest';
import { Rng } from '../../util/rng.ts';
import { ColorJitter } from './color-jitter.ts';
import { toTensor, type FloatImage } from './float-image.ts';
import { GaussianBlur, gaussianKernel1d } from './gaussian-blur.ts';
import { RandomHorizontalFlip } from './flip.ts';
import { Normalize, RandomApply, RandomGrayscale, RandomSolarize, Solarize } from './pixel-ops.ts';
import { at, patternImage, px } from './test-helpers.ts';

const img = () => toTensor(patternImage(6, 7));
const hw = 6 * 7;
const clamp = (v: number) => Math.min(1, Math.max(0, v));
const none = { brightness: null, contrast: null, saturation: null, hue: null };

// Python's colorsys, an independent HSV definition.
function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const maxc = Math.max(r, g, b);
  const minc = Math.min(r, g, b);
  if (minc === maxc) return [0, 0, maxc];
  const s = (maxc - minc) / maxc;
  const rc = (maxc - r) / (maxc - minc);
  const gc = (maxc - g) / (maxc - minc);
  const bc = (maxc - b) / (maxc - minc);
  let h = r === maxc ? bc - gc : g === maxc ? 2 + rc - bc : 4 + gc - rc;
  h = (((h / 6) % 1) + 1) % 1;
  return [h, s, maxc];
}
function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const i = Math.floor(h * 6);
  const f = h * 6 - i;
  const p = v * (1 - s);
  const q = v * (1 - s * f);
  const t = v * (1 - s * (1 - f));
  return (
    [
      [v, t, p],
      [q, v, p],
      [p, v, t],
      [p, q, v],
      [t, p, v],
      [v, p, q],
    ] as const
  )[i % 6] as [number, number, number];
}

describe('ColorJitter', () => {
  test('brightness factor f: clamp(x * f)', () => {
    const a = img();
    new ColorJitter({ brightness: 0.5 }).apply(a, { ...none, order: [0, 1, 2, 3], brightness: 1.3 });
    const src = patternImage(6, 7);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 6; y++)
        for (let x = 0; x < 7; x++) expect(at(a, c, y, x)).toBeCloseTo(clamp(px(src, c, y, x) * 1.3), 6);
  });

  test('contrast f: clamp(f * x + (1 - f) * mean of 0.299 R + 0.587 G + 0.114 B)', () => {
    const a = img();
    const src = patternImage(6, 7);
    let mean = 0;
    for (let y = 0; y < 6; y++)
      for (let x = 0; x < 7; x++)
        mean += 0.299 * px(src, 0, y, x) + 0.587 * px(src, 1, y, x) + 0.114 * px(src, 2, y, x);
    mean /= hw;
    new ColorJitter({ contrast: 0.5 }).apply(a, { ...none, order: [1, 0, 2, 3], contrast: 0.6 });
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 6; y++)
        for (let x = 0; x < 7; x++)
          expect(at(a, c, y, x)).toBeCloseTo(clamp(0.6 * px(src, c, y, x) + 0.4 * mean), 6);
  });

  test('saturation f: blend each pixel with its gray value', () => {
    const a = img();
    const src = patternImage(6, 7);
    new ColorJitter({ saturation: 0.5 }).apply(a, { ...none, order: [2, 0, 1, 3], saturation: 1.4 });
    for (let y = 0; y < 6; y++)
      for (let x = 0; x < 7; x++) {
        const g = 0.299 * px(src, 0, y, x) + 0.587 * px(src, 1, y, x) + 0.114 * px(src, 2, y, x);
        for (let c = 0; c < 3; c++)
          expect(at(a, c, y, x)).toBeCloseTo(clamp(1.4 * px(src, c, y, x) - 0.4 * g), 6);
      }
  });

  test('hue f: rotate H by f in HSV; pure red + 1/3 is pure green', () => {
    const red: FloatImage = { data: Float32Array.of(1, 0, 0), channels: 3, height: 1, width: 1 };
    new ColorJitter({ hue: 0.5 }).apply(red, { ...none, order: [3, 2, 1, 0], hue: 1 / 3 });
    expect(Array.from(red.data).map((v) => +v.toFixed(6))).toEqual([0, 1, 0]);
    const a = img();
    const src = patternImage(6, 7);
    new ColorJitter({ hue: 0.5 }).apply(a, { ...none, order: [3, 0, 1, 2], hue: -0.27 });
    for (let y = 0; y < 6; y++)
      for (let x = 0; x < 7; x++) {
        const [h, s, v] = rgbToHsv(px(src, 0, y, x), px(src, 1, y, x), px(src, 2, y, x));
        const e = hsvToRgb((((h - 0.27) % 1) + 1) % 1, s, v);
        for (let c = 0; c < 3; c++) expect(at(a, c, y, x)).toBeCloseTo(e[c], 5);
      }
  });

  test('order matters and follows params.order; factors drawn from their ranges', () => {
    const p = { order: [0, 1, 2, 3], brightness: 1.5, contrast: 0.5, saturation: null, hue: null };
    const cj = new ColorJitter({ brightness: 0.5, contrast: 0.5 });
    const a = img();
    const b = img();
    cj.apply(a, p);
    cj.apply(b, { ...p, order: [1, 0, 2, 3] });
    expect(a.data).not.toEqual(b.data);
    const r = new Rng(3);
    for (let i = 0; i < 200; i++) {
      const q = new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 }).sample(r);
      expect([...q.order].sort()).toEqual([0, 1, 2, 3]);
      expect(q.brightness!).toBeGreaterThanOrEqual(0.6);
      expect(q.brightness!).toBeLessThan(1.4);
      expect(Math.abs(q.hue!)).toBeLessThanOrEqual(0.1);
    }
  });
});

test('RandomGrayscale: every channel = 0.299 R + 0.587 G + 0.114 B', () => {
  const a = img();
  const src = patternImage(6, 7);
  new RandomGrayscale(1).apply(a, true);
  for (let y = 0; y < 6; y++)
    for (let x = 0; x < 7; x++) {
      const g = 0.299 * px(src, 0, y, x) + 0.587 * px(src, 1, y, x) + 0.114 * px(src, 2, y, x);
      for (let c = 0; c < 3; c++) expect(at(a, c, y, x)).toBeCloseTo(g, 6);
    }
});

test('RandomSolarize: x >= threshold becomes 1 - x', () => {
  const a = img();
  const src = patternImage(6, 7);
  new RandomSolarize(0.5, 1).apply(a, true);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < 6; y++)
      for (let x = 0; x < 7; x++) {
        const v = px(src, c, y, x);
        expect(at(a, c, y, x)).toBeCloseTo(v >= 0.5 ? 1 - v : v, 6);
      }
});

test('Solarize always applies', () => {
  const s = new Solarize(0.5);
  expect(s.sample(new Rng(0))).toBe(true);
  const a = toTensor(patternImage(2, 2));
  s.apply(a, true);
  expect(a.data.every((v) => v <= 0.5)).toBe(true); // x >= 0.5 became 1 - x
});

test('RandomHorizontalFlip: out[c, y, x] = in[c, y, W - 1 - x]', () => {
  const src = patternImage(6, 7);
  const f = new RandomHorizontalFlip(0.5).apply(src, true);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < 6; y++)
      for (let x = 0; x < 7; x++) expect(at(f, c, y, x)).toBeCloseTo(px(src, c, y, 6 - x), 6);
});

test('Normalize: (x - mean) / std per channel', () => {
  const a = img();
  const src = patternImage(6, 7);
  new Normalize([0.1, 0.2, 0.3], [0.5, 0.25, 2]).apply(a);
  expect(at(a, 1, 2, 3)).toBeCloseTo((px(src, 1, 2, 3) - 0.2) / 0.25, 5);
  expect(at(a, 2, 5, 6)).toBeCloseTo((px(src, 2, 5, 6) - 0.3) / 2, 5);
});

describe('GaussianBlur', () => {
  test('kernel is exp(-x²/2σ²) normalised; an impulse spreads to the outer product', () => {
    const k = gaussianKernel1d(5, 1.3);
    const raw = [-2, -1, 0, 1, 2].map((x) => Math.exp(-(x * x) / (2 * 1.3 * 1.3)));
    const s = raw.reduce((a, b) => a + b);
    raw.forEach((v, i) => expect(k[i]).toBeCloseTo(v / s, 12));
    const a: FloatImage = { data: new Float32Array(11 * 11), channels: 1, height: 11, width: 11 };
    a.data[5 * 11 + 5] = 1;
    new GaussianBlur(5, [0.1, 2]).apply(a, 1.3);
    for (let y = 0; y < 11; y++)
      for (let x = 0; x < 11; x++) {
        const dy = y - 5;
        const dx = x - 5;
        const e = Math.abs(dy) <= 2 && Math.abs(dx) <= 2 ? (raw[dy + 2] / s) * (raw[dx + 2] / s) : 0;
        expect(a.data[y * 11 + x]).toBeCloseTo(e, 6);
      }
  });

  test('borders use reflect padding (mirror without repeating the edge)', () => {
    const a: FloatImage = { data: Float32Array.of(0.1, 0.5, 0.9, 0.3), channels: 1, height: 1, width: 4 };
    new GaussianBlur([3, 1]).apply(a, 1);
    const [k0, k1] = [Math.exp(-0.5), 1].map((v) => v / (1 + 2 * Math.exp(-0.5)));
    // padded row: 0.5 | 0.1 0.5 0.9 0.3 | 0.9
    const pad = [0.5, 0.1, 0.5, 0.9, 0.3, 0.9];
    for (let x = 0; x < 4; x++)
      expect(a.data[x]).toBeCloseTo(k0 * pad[x] + k1 * pad[x + 1] + k0 * pad[x + 2], 6);
  });

  test('σ drawn uniformly from the range', () => {
    const b = new GaussianBlur(23, [0.1, 2]);
    const r = new Rng(1);
    for (let i = 0; i < 100; i++) {
      const s = b.sample(r);
      expect(s).toBeGreaterThanOrEqual(0.1);
      expect(s).toBeLessThan(2);
    }
  });
});

test('RandomApply: applies with probability p, params null otherwise', () => {
  const ra = new RandomApply([new RandomGrayscale(1)], 0.3);
  const r = new Rng(9);
  let n = 0;
  for (let i = 0; i < 2000; i++) if (ra.sample(r)) n++;
  expect(n / 2000).toBeGreaterThan(0.25);
  expect(n / 2000).toBeLessThan(0.35);
  const a = img();
  const before = a.data.slice();
  ra.apply(a, null);
  expect(a.data).toEqual(before);
});

import { describe, expect, test } from 'vitest';
import { Rng } from '../../util/rng.ts';
import { CladeError } from '../../util/errors.ts';
import { RandomResizedCrop } from './random-resized-crop.ts';
import { Resize, ResizeCenterCrop, centerCrop } from './resize.ts';
import { toTensor } from './float-image.ts';
import { at, patternImage, px } from './test-helpers.ts';
import type { Image } from '../types.ts';

// Reference kernels written from their definitions (PIL: triangle; Keys cubic with a = -0.5).
const tri = (x: number) => Math.max(0, 1 - Math.abs(x));
const cubic = (x: number) => {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return (a + 2) * x ** 3 - (a + 3) * x ** 2 + 1;
  if (x < 2) return a * x ** 3 - 5 * a * x ** 2 + 8 * a * x - 4 * a;
  return 0;
};

/** Weights of the inputs for output i along one axis: kernel at (j + 0.5 - centre) / s, s = max(scale, 1). */
function refWeights(inSize: number, outSize: number, i: number, k: (x: number) => number, support: number) {
  const scale = inSize / outSize;
  const s = Math.max(scale, 1);
  const centre = (i + 0.5) * scale;
  const w = new Float64Array(inSize);
  let sum = 0;
  for (let j = 0; j < inSize; j++) {
    const d = (j + 0.5 - centre) / s;
    w[j] = Math.abs(d) < support ? k(d) : 0;
    sum += w[j];
  }
  return w.map((v) => v / sum);
}

/**
 * Reference from the definition: crop `box` of `img`, resize rows then columns with the weights above; like PIL's
 * 8-bit pipeline, the intermediate is clipped to [0, 1] (only bicubic can overshoot), and so is the result.
 */
function refResize(
  img: Image,
  box: { top: number; left: number; height: number; width: number },
  outH: number,
  outW: number,
  kind: 'bilinear' | 'bicubic',
) {
  const [k, sup] = kind === 'bilinear' ? [tri, 1] : [cubic, 2];
  const clip = (v: number) => Math.min(1, Math.max(0, v));
  const out: number[][][] = [];
  for (let c = 0; c < img.channels; c++) {
    const rows: number[][] = [];
    for (let yy = 0; yy < box.height; yy++) {
      const row: number[] = [];
      for (let x = 0; x < outW; x++) {
        const wx = refWeights(box.width, outW, x, k, sup);
        let v = 0;
        for (let xx = 0; xx < box.width; xx++) v += wx[xx] * px(img, c, box.top + yy, box.left + xx);
        row.push(clip(v));
      }
      rows.push(row);
    }
    out.push([]);
    for (let y = 0; y < outH; y++) {
      const wy = refWeights(box.height, outH, y, k, sup);
      out[c].push(
        Array.from({ length: outW }, (_, x) => clip(rows.reduce((a, r, yy) => a + wy[yy] * r[x], 0))),
      );
    }
  }
  return out;
}

describe('RandomResizedCrop.apply (crop box + interpolation)', () => {
  test('a box the output size copies the crop exactly; flip mirrors it', () => {
    const img = patternImage(9, 11);
    const box = { top: 2, left: 3, height: 5, width: 6 };
    const rrc = new RandomResizedCrop([5, 6]);
    const out = rrc.apply(img, box);
    const flipped = rrc.apply(img, box, true);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 5; y++)
        for (let x = 0; x < 6; x++) {
          expect(at(out, c, y, x)).toBeCloseTo(px(img, c, y + 2, x + 3), 6);
          expect(at(flipped, c, y, x)).toBeCloseTo(px(img, c, y + 2, 3 + 5 - x), 6);
        }
  });

  test('bilinear 2x upsampling of [0, 255] gives [0, 1/4, 3/4, 1] (half-pixel centres)', () => {
    const img: Image = { data: Uint8Array.of(0, 255), width: 2, height: 1, channels: 1 };
    const out = new RandomResizedCrop([1, 4]).apply(img, { top: 0, left: 0, height: 1, width: 2 });
    expect(Array.from(out.data)).toEqual([0, 0.25, 0.75, 1]);
  });

  test('bilinear 2x antialiased downsampling: taps 0.75, 0.75, 0.25 (normalised)', () => {
    const img: Image = { data: Uint8Array.of(0, 51, 102, 255), width: 4, height: 1, channels: 1 };
    const out = new RandomResizedCrop([1, 2]).apply(img, { top: 0, left: 0, height: 1, width: 4 });
    expect(out.data[0]).toBeCloseTo((0.75 * 0 + 0.75 * 0.2 + 0.25 * 0.4) / 1.75, 6);
    expect(out.data[1]).toBeCloseTo((0.25 * 0.2 + 0.75 * 0.4 + 0.75 * 1) / 1.75, 6);
  });

  for (const kind of ['bilinear', 'bicubic'] as const)
    test(`${kind}: down- and up-scaling a crop match the naive 2-D definition`, () => {
      const img = patternImage(23, 29);
      for (const [box, oh, ow] of [
        [{ top: 3, left: 4, height: 17, width: 21 }, 7, 6],
        [{ top: 1, left: 0, height: 6, width: 5 }, 13, 11],
      ] as const) {
        const out = new RandomResizedCrop([oh, ow], { interpolation: kind }).apply(img, box);
        const ref = refResize(img, box, oh, ow, kind);
        for (let c = 0; c < 3; c++)
          for (let y = 0; y < oh; y++)
            for (let x = 0; x < ow; x++) expect(at(out, c, y, x)).toBeCloseTo(ref[c][y][x], 5);
      }
    });

  test('a box outside the image is a CladeError', () => {
    const img = patternImage(8, 8);
    expect(() => new RandomResizedCrop(4).apply(img, { top: 5, left: 0, height: 4, width: 4 })).toThrow(
      CladeError,
    );
  });
});

describe('RandomResizedCrop.sample (torchvision get_params)', () => {
  test('replays the definition: area * U(scale), exp(U(log ratio)), round, then randint offsets', () => {
    const rrc = new RandomResizedCrop(32, { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] });
    for (let seed = 0; seed < 50; seed++) {
      const H = 30 + seed;
      const W = 50 - (seed % 7);
      const r = new Rng(seed);
      const box = rrc.sample(new Rng(seed), H, W);
      let expected = null;
      for (let a = 0; a < 10 && !expected; a++) {
        const area = H * W * (0.08 + 0.92 * r.float());
        const lr = Math.log(3 / 4) + (Math.log(4 / 3) - Math.log(3 / 4)) * r.float();
        const w = Math.round(Math.sqrt(area * Math.exp(lr)));
        const h = Math.round(Math.sqrt(area / Math.exp(lr)));
        if (w > 0 && w <= W && h > 0 && h <= H) {
          const top = Math.floor(r.float() * (H - h + 1));
          const left = Math.floor(r.float() * (W - w + 1));
          expected = { top, left, height: h, width: w };
        }
      }
      expect(expected).not.toBeNull();
      // Math.round and Python's round differ only at exact .5, which random draws do not hit.
      expect(box).toEqual(expected);
    }
  });

  test('after ten failed attempts: torchvision centre-crop fallback', () => {
    // ratio 2 on a 10x10 image needs w = round(sqrt(100 * 2)) = 14 > 10: every attempt fails.
    const rrc = new RandomResizedCrop(8, { scale: [1, 1], ratio: [2, 2] });
    expect(rrc.sample(new Rng(1), 10, 10)).toEqual({ top: 2, left: 0, height: 5, width: 10 }); // h = round(10 / 2)
    const tall = new RandomResizedCrop(8, { scale: [1, 1], ratio: [0.5, 0.5] });
    expect(tall.sample(new Rng(1), 10, 10)).toEqual({ top: 0, left: 2, height: 10, width: 5 }); // w = round(10 * .5)
  });
});

describe('ResizeCenterCrop (Resize shorter side + CenterCrop)', () => {
  test('equals resizing the whole image then cropping round((H - h) / 2)', () => {
    const img = patternImage(20, 13);
    // shorter side 13 -> 6, longer int(6 * 20 / 13) = 9; crop 6x6 starts at round(1.5) = 2 (half to even).
    const out = new ResizeCenterCrop(6, 6, { interpolation: 'bicubic' }).apply(img);
    const ref = refResize(img, { top: 0, left: 0, height: 20, width: 13 }, 9, 6, 'bicubic');
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 6; y++)
        for (let x = 0; x < 6; x++) expect(at(out, c, y, x)).toBeCloseTo(ref[c][y + 2][x], 5);
  });

  test('Resize alone then centerCrop equals the fused ResizeCenterCrop', () => {
    const img = patternImage(30, 22);
    const r = new Resize(10, { interpolation: 'bicubic' }).apply(img);
    expect([r.height, r.width]).toEqual([13, 10]); // int(10 * 30 / 22) = 13
    const fused = new ResizeCenterCrop(10, 8, { interpolation: 'bicubic' }).apply(img);
    expect(Array.from(centerCrop(r, 8).data)).toEqual(Array.from(fused.data));
  });

  test('a crop larger than the resized image is zero-padded', () => {
    const img = patternImage(4, 4);
    const out = new ResizeCenterCrop(4, 6).apply(img);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 6; y++)
        for (let x = 0; x < 6; x++) {
          const inside = y >= 1 && y < 5 && x >= 1 && x < 5;
          expect(at(out, c, y, x)).toBeCloseTo(inside ? px(img, c, y - 1, x - 1) : 0, 6);
        }
  });
});

describe('other layouts', () => {
  test('float CHW input gives the same result as 8-bit HWC input (bilinear)', () => {
    const img = patternImage(15, 17);
    const box = { top: 2, left: 1, height: 11, width: 13 };
    const rrc = new RandomResizedCrop([6, 9]);
    const a = rrc.apply(img, box, true);
    const b = rrc.apply(toTensor(img), box, true);
    for (let i = 0; i < a.data.length; i++) expect(b.data[i]).toBeCloseTo(a.data[i], 6);
  });

  test('1-channel images: crop copy, flip and resize follow the same definition', () => {
    const img = patternImage(10, 12, 1);
    const rrc = new RandomResizedCrop([4, 5]);
    const copy = rrc.apply(img, { top: 3, left: 2, height: 4, width: 5 }, true);
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 5; x++) expect(at(copy, 0, y, x)).toBeCloseTo(px(img, 0, y + 3, 2 + 4 - x), 6);
    const down = new RandomResizedCrop([3, 4], { interpolation: 'bicubic' }).apply(img, {
      top: 0,
      left: 0,
      height: 10,
      width: 12,
    });
    const ref = refResize(img, { top: 0, left: 0, height: 10, width: 12 }, 3, 4, 'bicubic');
    for (let y = 0; y < 3; y++)
      for (let x = 0; x < 4; x++) expect(at(down, 0, y, x)).toBeCloseTo(ref[0][y][x], 5);
  });
});

import { describe, expect, test } from 'vitest';
import { Rng } from '../../util/rng.ts';
import { RandomHorizontalFlip } from './flip.ts';
import { ImageView } from './image-view.ts';
import { Normalize, OPENAI_MEAN, OPENAI_STD } from './pixel-ops.ts';
import { RandomResizedCrop } from './random-resized-crop.ts';
import { ResizeCenterCrop } from './resize.ts';
import { bioclipTrainView, byolViews, clipEvalView, clipinViews, drawViews, simclrViews } from './views.ts';
import { patternImage } from './test-helpers.ts';

describe('ImageView (fused pipeline)', () => {
  test('fused crop+resize+flip+ops+normalize equals the transforms applied one by one', () => {
    const img = patternImage(40, 48);
    for (const [name, view] of [
      ['simclr', simclrViews({ size: 32 })[0]],
      ['simclr-blur', simclrViews({ size: 24, blur: true })[0]],
      ['byol2', byolViews({ size: 16 })[1]],
      ['bioclip', bioclipTrainView({ size: 20 })],
    ] as const) {
      for (let seed = 0; seed < 8; seed++) {
        const p = view.sample(new Rng(seed), img.height, img.width);
        const fused = view.apply(img, p);
        const g = view.geometry as RandomResizedCrop;
        let ref = g.apply(img, p.box!);
        ref = new RandomHorizontalFlip().apply(ref, p.flip);
        view.ops.forEach((op, i) => op.apply(ref, p.ops[i]));
        view.normalize?.apply(ref);
        expect(fused.data.length, name).toBe(ref.data.length);
        for (let i = 0; i < ref.data.length; i++) expect(fused.data[i]).toBeCloseTo(ref.data[i], 5);
      }
    }
  });

  test('writes into a batch buffer at an offset, leaving the rest untouched', () => {
    const img = patternImage(12, 12);
    const view = new ImageView({ geometry: new RandomResizedCrop(8), flip: 0.5 });
    const n = view.size(3);
    const buf = new Float32Array(3 * n).fill(-7);
    const p = view.sample(new Rng(4), 12, 12);
    view.apply(img, p, buf, n);
    expect(buf.subarray(n, 2 * n)).toEqual(view.apply(img, p).data);
    expect(buf.subarray(0, n).every((v) => v === -7)).toBe(true);
    expect(buf.subarray(2 * n).every((v) => v === -7)).toBe(true);
  });

  test('same seed, same views; different seeds, different views', () => {
    const img = patternImage(32, 32);
    const views = simclrViews({ size: 32 });
    const a = drawViews(views, img, new Rng(11));
    const b = drawViews(views, img, new Rng(11));
    const c = drawViews(views, img, new Rng(12));
    expect(a[0].data).toEqual(b[0].data);
    expect(a[1].data).toEqual(b[1].data);
    expect(a[0].data).not.toEqual(a[1].data);
    expect(a[0].data).not.toEqual(c[0].data);
  });

  test('eval view: Resize + CenterCrop + OpenAI Normalize, deterministic', () => {
    const img = patternImage(30, 40);
    const t = clipEvalView({ size: 16 }).forward(img, new Rng(0));
    const ref = new ResizeCenterCrop(16, 16, { interpolation: 'bicubic' }).apply(img);
    new Normalize(OPENAI_MEAN, OPENAI_STD).apply(ref);
    for (let i = 0; i < ref.data.length; i++) expect(t.data[i]).toBeCloseTo(ref.data[i], 5);
  });
});

describe('view presets', () => {
  test('BYOL: view 1 always blurs and never solarizes; view 2 blurs ~10% and solarizes ~20%', () => {
    const [v1, v2] = byolViews({ size: 32 });
    const r = new Rng(5);
    let blur2 = 0;
    let sol2 = 0;
    for (let i = 0; i < 1000; i++) {
      const p1 = v1.sample(r, 40, 40);
      const p2 = v2.sample(r, 40, 40);
      expect(p1.ops[2]).not.toBeNull();
      expect(p1.ops[3]).toBeNull();
      if (p2.ops[2]) blur2++;
      if (p2.ops[3]) sol2++;
    }
    expect(blur2 / 1000).toBeGreaterThan(0.07);
    expect(blur2 / 1000).toBeLessThan(0.13);
    expect(sol2 / 1000).toBeGreaterThan(0.16);
    expect(sol2 / 1000).toBeLessThan(0.24);
  });

  test('SimCLR crop areas span scale [0.08, 1] with ratio in [3/4, 4/3]', () => {
    const [v] = simclrViews({ size: 32 });
    const r = new Rng(2);
    let small = 0;
    for (let i = 0; i < 500; i++) {
      const { box } = v.sample(r, 64, 64);
      const area = (box!.height * box!.width) / 4096;
      expect(area).toBeGreaterThan(0.06);
      expect(area).toBeLessThanOrEqual(1);
      expect(box!.width / box!.height).toBeGreaterThan(0.7);
      expect(box!.width / box!.height).toBeLessThan(1.4);
      if (area < 0.3) small++;
    }
    expect(small).toBeGreaterThan(50);
  });

  test('CLIPin: square crops (ratio 1) of area >= 0.8 of the resized image, brightness only', () => {
    const [v, w] = clipinViews({ size: 24 });
    expect(v).toBe(w);
    const r = new Rng(3);
    for (let i = 0; i < 100; i++) {
      const { box } = v.sample(r, 40, 38); // resized to 25 x 24 first (shorter side 24)
      expect(box!.height).toBe(box!.width);
      expect(box!.height * box!.width).toBeGreaterThanOrEqual(0.8 * 25 * 24 - 2 * 25); // minus rounding
      expect(box!.top + box!.height).toBeLessThanOrEqual(25);
      expect(box!.left + box!.width).toBeLessThanOrEqual(24);
    }
    const t = v.forward(patternImage(48, 32), new Rng(1));
    expect([t.channels, t.height, t.width]).toEqual([3, 24, 24]);
  });

  test('BioCLIP: bicubic crop of area fraction in [0.9, 1], no flip, OpenAI statistics', () => {
    const v = bioclipTrainView();
    expect((v.geometry as RandomResizedCrop).interpolation).toBe('bicubic');
    expect(v.flip).toBe(0);
    const r = new Rng(8);
    for (let i = 0; i < 100; i++) {
      const { box } = v.sample(r, 300, 400);
      expect((box!.height * box!.width) / 120000).toBeGreaterThan(0.88);
    }
    const t = v.forward(patternImage(300, 400), r);
    expect(t.width).toBe(224);
    // a constant white image normalises to (1 - mean) / std
    const white = {
      data: new Uint8Array(50 * 60 * 3).fill(255),
      width: 60,
      height: 50,
      channels: 3 as const,
    };
    const w = v.forward(white, r);
    expect(w.data[0]).toBeCloseTo((1 - OPENAI_MEAN[0]) / OPENAI_STD[0], 4);
    expect(w.data[2 * 224 * 224]).toBeCloseTo((1 - OPENAI_MEAN[2]) / OPENAI_STD[2], 4);
  });
});

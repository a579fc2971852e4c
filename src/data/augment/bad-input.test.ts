import { expect, test } from 'vitest';
import { CladeError } from '../../util/errors.ts';
import { ColorJitter } from './color-jitter.ts';
import { toTensor } from './float-image.ts';
import { GaussianBlur } from './gaussian-blur.ts';
import { ImageView } from './image-view.ts';
import { Normalize, RandomApply, RandomGrayscale } from './pixel-ops.ts';
import { RandomResizedCrop } from './random-resized-crop.ts';
import { ResizeCenterCrop } from './resize.ts';
import { FeatureMask, GaussianNoise, ScarfCorruption } from './tabular-views.ts';
import { TokenMask } from './text-views.ts';
import { patternImage } from './test-helpers.ts';

test('bad transform parameters are CladeErrors naming the field', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => new RandomResizedCrop(0), /size/],
    [() => new RandomResizedCrop(8, { scale: [0.5, 0.2] }), /RandomResizedCrop/],
    [() => new ColorJitter({ brightness: -1 }), /ColorJitter.brightness/],
    [() => new ColorJitter({ hue: 0.7 }), /ColorJitter.hue/],
    [() => new GaussianBlur(4), /kernel_size/],
    [() => new GaussianBlur(5, [0, 1]), /sigma/],
    [() => new RandomGrayscale(1.5), /RandomGrayscale.p/],
    [() => new RandomApply([], -0.1), /RandomApply.p/],
    [() => new Normalize([0.5], [0]), /Normalize/],
    [() => new ImageView({ geometry: new RandomResizedCrop(8), flip: 2 }), /ImageView.flip/],
    [() => new FeatureMask({ rate: 2 }), /FeatureMask.rate/],
    [() => new ScarfCorruption({ rate: 0.5, table: new Float32Array(5), rows: 2, features: 3 }), /table/],
    [() => new GaussianNoise({ std: -1 }), /GaussianNoise.std/],
    [() => new TokenMask({ rate: 1.5, maskId: 1 }), /TokenMask.rate/],
  ];
  for (const [make, where] of cases) {
    expect(make).toThrow(CladeError);
    expect(make).toThrow(where);
  }
});

test('bad images are CladeErrors', () => {
  const img = patternImage(4, 4);
  expect(() => new ResizeCenterCrop(4, 4).apply({ ...img, data: img.data.subarray(1) })).toThrow(
    /expected 4\*4\*3/,
  );
  expect(() => new Normalize([0.5], [0.5]).apply(toTensor(img))).toThrow(/1 means for a 3-channel image/);
  const view = new ImageView({ geometry: new RandomResizedCrop(4), normalize: new Normalize([0.5], [0.5]) });
  const params = { box: { top: 0, left: 0, height: 4, width: 4 }, flip: false, ops: [] };
  expect(() => view.apply(img, params)).toThrow(/1 means for a 3-channel image/);
  const plain = new ImageView({ geometry: new RandomResizedCrop(4) });
  expect(() => plain.apply(img, { ...params, box: { ...params.box, top: 1 } })).toThrow(/not inside/);
});

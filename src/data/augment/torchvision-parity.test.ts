import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { ColorJitter, type ColorJitterParams } from './color-jitter.ts';
import { toTensor, type FloatImage } from './float-image.ts';
import { GaussianBlur } from './gaussian-blur.ts';
import { RandomGrayscale, RandomSolarize } from './pixel-ops.ts';
import { RandomResizedCrop } from './random-resized-crop.ts';
import { ResizeCenterCrop } from './resize.ts';
import { patternImage } from './test-helpers.ts';

// Parity with torchvision itself, when a python3 with torchvision is installed (Debian python3-torchvision at
// /usr/bin/python3 on the dev machines); skipped otherwise. The same 23x29 pattern image is built on both sides.
const PY = `import json, sys
import numpy as np, torch
from PIL import Image
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode as IM
H, W = 23, 29
img = np.zeros((H, W, 3), np.uint8)
for y in range(H):
    for x in range(W):
        for c in range(3):
            img[y, x, c] = (y * 37 + x * 11 + c * 83 + x * y) % 256
pil = Image.fromarray(img)
t = torch.from_numpy(img).permute(2, 0, 1).float() / 255
out = {}
for kind, mode in [('bilinear', IM.BILINEAR), ('bicubic', IM.BICUBIC)]:
    for name, (top, left, h, w, oh, ow) in {'down': (3, 4, 17, 21, 7, 6), 'up': (1, 0, 6, 5, 13, 11)}.items():
        out[f'pil_{kind}_{name}'] = (np.asarray(F.resized_crop(pil, top, left, h, w, [oh, ow], mode)).astype(np.float32) / 255).transpose(2, 0, 1).ravel().tolist()
        out[f'tensor_{kind}_{name}'] = F.resized_crop(t, top, left, h, w, [oh, ow], mode, antialias=True).ravel().tolist()
out['brightness'] = F.adjust_brightness(t, 1.3).ravel().tolist()
out['contrast'] = F.adjust_contrast(t, 0.6).ravel().tolist()
out['saturation'] = F.adjust_saturation(t, 1.4).ravel().tolist()
out['hue'] = F.adjust_hue(t, -0.27).ravel().tolist()
out['blur'] = F.gaussian_blur(t, [5, 5], [1.3, 1.3]).ravel().tolist()
out['solarize'] = F.solarize(t, 0.5).ravel().tolist()
out['grayscale_pil'] = (np.asarray(F.rgb_to_grayscale(pil, 3)).astype(np.float32) / 255).transpose(2, 0, 1).ravel().tolist()
out['resize_center'] = F.center_crop(F.resize(t, 6, IM.BICUBIC, antialias=True), [6, 6]).ravel().tolist()
json.dump(out, sys.stdout)
`;

function torchvision(): Record<string, number[]> | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', PY], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status === 0) return JSON.parse(r.stdout);
  }
  return null;
}

const ref = torchvision();
const none: ColorJitterParams = {
  order: [0, 1, 2, 3],
  brightness: null,
  contrast: null,
  saturation: null,
  hue: null,
};

function maxDiff(a: Float32Array, b: number[]): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.skipIf(!ref)('parity with torchvision', () => {
  const img = patternImage(23, 29);
  const boxes = { down: [3, 4, 17, 21, 7, 6], up: [1, 0, 6, 5, 13, 11] } as const;

  for (const kind of ['bilinear', 'bicubic'] as const)
    for (const [name, [top, left, height, width, oh, ow]] of Object.entries(boxes))
      test(`resized_crop ${kind} ${name}: tensor antialias path to 1e-5, PIL (8-bit) path to 1/255`, () => {
        const out = new RandomResizedCrop([oh, ow], { interpolation: kind }).apply(img, {
          top,
          left,
          height,
          width,
        });
        // torchvision 0.14's float-tensor bicubic *upsampling* ignores antialias (a = -0.75) and does not clamp the
        // overshoot; clade follows PIL there, which the 8-bit comparison checks.
        if (!(kind === 'bicubic' && name === 'up'))
          expect(maxDiff(out.data, ref![`tensor_${kind}_${name}`])).toBeLessThan(1e-5);
        expect(maxDiff(out.data, ref![`pil_${kind}_${name}`])).toBeLessThanOrEqual(1 / 255 + 1e-6);
      });

  const jitter = (p: Partial<ColorJitterParams>) => {
    const t = toTensor(img);
    new ColorJitter({ brightness: 0.5, contrast: 0.5, saturation: 0.5, hue: 0.5 }).apply(t, {
      ...none,
      ...p,
    });
    return t.data;
  };
  test('adjust_brightness / contrast / saturation / hue', () => {
    expect(maxDiff(jitter({ brightness: 1.3 }), ref!.brightness)).toBeLessThan(1e-6);
    // torchvision's tensor grayscale weighs R by 0.2989, clade (like PIL) by 0.299
    expect(maxDiff(jitter({ contrast: 0.6 }), ref!.contrast)).toBeLessThan(1e-4);
    expect(maxDiff(jitter({ saturation: 1.4 }), ref!.saturation)).toBeLessThan(1e-4);
    expect(maxDiff(jitter({ hue: -0.27 }), ref!.hue)).toBeLessThan(1e-5);
  });

  test('gaussian_blur, solarize, grayscale, resize + center_crop', () => {
    const b: FloatImage = toTensor(img);
    new GaussianBlur(5).apply(b, 1.3);
    expect(maxDiff(b.data, ref!.blur)).toBeLessThan(1e-5);
    const s = toTensor(img);
    new RandomSolarize(0.5, 1).apply(s, true);
    expect(maxDiff(s.data, ref!.solarize)).toBeLessThan(1e-7);
    const g = toTensor(img);
    new RandomGrayscale(1).apply(g, true);
    expect(maxDiff(g.data, ref!.grayscale_pil)).toBeLessThanOrEqual(0.5 / 255 + 1e-6); // PIL rounds to 8 bits
    const rc = new ResizeCenterCrop(6, 6, { interpolation: 'bicubic' }).apply(img);
    expect(maxDiff(rc.data, ref!.resize_center)).toBeLessThan(1e-5);
  });
});

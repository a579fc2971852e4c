import { Rng } from '../../src/util/rng.ts';
import { ImageView } from '../../src/data/augment/image-view.ts';
import { RandomResizedCrop } from '../../src/data/augment/random-resized-crop.ts';
import { Normalize, IMAGENET_MEAN, IMAGENET_STD } from '../../src/data/augment/pixel-ops.ts';
const px = new Uint8Array(400 * 300 * 3);
const r = new Rng(1);
for (let i = 0; i < px.length; i++) px[i] = (Math.sin(i / 1000) * 100 + 110 + r.float() * 40) | 0;
const img = { data: px, width: 400, height: 300, channels: 3 as const };
const view = new ImageView({ geometry: new RandomResizedCrop(224, { interpolation: (process.env.K ?? 'bilinear') as 'bilinear' }), flip: 0.5, normalize: new Normalize(IMAGENET_MEAN, IMAGENET_STD) });
const out = new Float32Array(3 * 224 * 224);
for (let i = 0; i < 100; i++) view.forward(img, r, out, 0);
const N = 200;
let best = Infinity;
for (let rep = 0; rep < 9; rep++) {
  const rr = new Rng(5);
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) view.forward(img, rr, out, 0);
  const c = process.cpuUsage(c0);
  best = Math.min(best, (c.user + c.system) / 1000 / N);
}
console.log('rrc cpu ms (min of 9)', best.toFixed(3));

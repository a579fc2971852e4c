import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DataLoader } from '../../src/data/loader/loader.ts';
import { writeFileAtomic } from '../../src/util/atomic-write.ts';
import { Rng } from '../../src/util/rng.ts';
const dir = mkdtempSync(join(tmpdir(), 'zz-'));
const rng = new Rng(7);
for (let k = 0; k < 256; k++) {
  const w = 400,
    h = 300;
  const px = new Uint8Array(w * h * 3);
  const [a, b, c] = [rng.float() * 6, rng.float() * 6, rng.float() * 6];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const noise = rng.float() * 40;
      px[i] = 110 + 90 * Math.sin(x / 37 + a) + noise;
      px[i + 1] = 110 + 90 * Math.sin(y / 23 + b) + noise;
      px[i + 2] = 110 + 90 * Math.sin((x + y) / 51 + c) + noise;
    }
  writeFileAtomic(
    join(dir, `img_${k}.jpg`),
    await sharp(px, { raw: { width: w, height: h, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer(),
  );
}
const src = {
  module: new URL('./pipelines.ts', import.meta.url).href,
  export: 'jpegRrc224',
  args: { dir, concurrency: Number(process.env.CONC ?? 1), region: !!process.env.REGION },
};
for (const workers of (process.env.W ?? '0,1,2').split(',').map(Number)) {
  const loader = await DataLoader.create({
    source: src,
    batchSize: 32,
    epochs: Number(process.env.EP ?? 2),
    workers,
    prefetch: Number(process.env.PF ?? 4),
  });
  let t0 = 0,
    n = 0;
  let c0 = process.cpuUsage();
  for await (const b of loader) {
    if (!t0) {
      t0 = performance.now();
      c0 = process.cpuUsage();
    } else n += b.indices.length;
  }
  await loader.close();
  const cu = process.cpuUsage(c0);
  console.log(
    `workers ${workers}: ${(n / ((performance.now() - t0) / 1000)).toFixed(0)} img/s, cpu ms/img ${((cu.user + cu.system) / 1000 / n).toFixed(2)} (sys ${(cu.system / 1000 / n).toFixed(2)})`,
  );
}

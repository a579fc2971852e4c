// Pipeline sources for `npm run bench:data` (each worker thread imports this module and calls one factory).
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { CladeError } from '../../src/util/errors.ts';
import { RandomResizedCrop } from '../../src/data/augment/random-resized-crop.ts';
import { ImageView } from '../../src/data/augment/image-view.ts';
import { IMAGENET_MEAN, IMAGENET_STD, Normalize } from '../../src/data/augment/pixel-ops.ts';
import { simclrViews } from '../../src/data/augment/views.ts';
import type { Pipeline } from '../../src/data/loader/loader-types.ts';
import { viewsTransform } from '../../src/data/loader/sample-transforms.ts';
import { readCifar10 } from '../../src/data/readers/cifar.ts';
import type { Dataset, Sample } from '../../src/data/types.ts';

/** CIFAR-10 records (or synthetic 32x32 images when `file` is empty), SimCLR two views at 32 px. */
export function cifarSimclr(args: { file: string; n: number }): Pipeline {
  const dataset: Dataset = args.file ? firstN(readCifar10(args.file), args.n) : syntheticCifar(args.n);
  return { dataset, transform: viewsTransform({ image: simclrViews({ size: 32 }) }) };
}

/**
 * A folder of JPEGs decoded with sharp, RandomResizedCrop(224) + flip + ImageNet Normalize. With `region`, the
 * crop box is drawn from the JPEG header's size first and only that region is decoded (same pixels: libvips
 * decodes whole rows and stops after the crop's last row).
 */
export function jpegRrc224(args: { dir: string; concurrency?: number; region?: boolean }): Pipeline {
  sharp.concurrency(args.concurrency ?? 1);
  const files = readdirSync(args.dir)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .map((f) => join(args.dir, f));
  const view = new ImageView({
    geometry: new RandomResizedCrop(224),
    flip: 0.5,
    normalize: new Normalize(IMAGENET_MEAN, IMAGENET_STD),
  });
  if (args.region)
    return {
      dataset: {
        name: 'jpeg-folder',
        length: files.length,
        get: (index) => ({ index, id: files[index], label: index % 10 }),
      },
      async transform(sample, rng, ctx) {
        const bytes = await readFile(files[sample.index]);
        const [height, width] = jpegSize(bytes, files[sample.index]);
        const p = view.sample(rng, height, width);
        const box = p.box!;
        const { data, info } = await sharp(bytes).extract(box).raw().toBuffer({ resolveWithObject: true });
        const image = {
          data: new Uint8Array(data.buffer, data.byteOffset, data.length),
          width: info.width,
          height: info.height,
          channels: 3 as const,
        };
        const shifted = { ...p, box: { top: 0, left: 0, height: box.height, width: box.width } };
        return { views: [view.apply(image, shifted, ctx?.viewSlot(0, view.size(3)))], label: sample.label };
      },
    };
  return {
    dataset: {
      name: 'jpeg-folder',
      length: files.length,
      async get(index: number): Promise<Sample> {
        const bytes = await readFile(files[index]);
        const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
        const image = {
          data: new Uint8Array(data.buffer, data.byteOffset, data.length),
          width: info.width,
          height: info.height,
          channels: 3 as const,
        };
        return { index, id: files[index], image, label: index % 10 };
      },
    },
    transform: viewsTransform({ image: [view] }),
  };
}

function firstN(ds: Dataset, n: number): Dataset {
  return { name: ds.name, length: Math.min(n, ds.length), get: (i) => ds.get(i) };
}

function syntheticCifar(n: number): Dataset {
  return {
    name: 'synthetic-cifar',
    length: n,
    get(index) {
      const data = new Uint8Array(32 * 32 * 3);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7 + index * 31 + ((i * index) >> 3)) & 255;
      return {
        index,
        id: `synthetic/${index}`,
        image: { data, width: 32, height: 32, channels: 3 },
        label: index % 10,
      };
    },
  };
}

/** [height, width] from a JPEG's SOF segment. */
function jpegSize(b: Uint8Array, file: string): [number, number] {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) break;
    const m = b[i + 1];
    const len = (b[i + 2] << 8) | b[i + 3];
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc)
      return [(b[i + 5] << 8) | b[i + 6], (b[i + 7] << 8) | b[i + 8]];
    i += 2 + len;
  }
  throw new CladeError('no JPEG frame header found', { file });
}

// Pipeline sources for `npm run bench:data` (each worker thread imports this module and calls one factory).
import sharp from 'sharp';
import { RandomResizedCrop } from '../../src/data/augment/random-resized-crop.ts';
import { ImageView } from '../../src/data/augment/image-view.ts';
import { IMAGENET_MEAN, IMAGENET_STD, Normalize } from '../../src/data/augment/pixel-ops.ts';
import { simclrViews } from '../../src/data/augment/views.ts';
import type { Pipeline } from '../../src/data/loader/loader-types.ts';
import { viewsTransform } from '../../src/data/loader/sample-transforms.ts';
import { readCifar10 } from '../../src/data/readers/cifar.ts';
import { readImageFolder } from '../../src/data/readers/image-folder.ts';
import type { Dataset } from '../../src/data/types.ts';

/** CIFAR-10 records (or synthetic 32x32 images when `file` is empty), SimCLR two views at 32 px. */
export function cifarSimclr(args: { file: string; n: number }): Pipeline {
  const dataset: Dataset = args.file ? firstN(readCifar10(args.file), args.n) : syntheticCifar(args.n);
  return { dataset, transform: viewsTransform({ image: simclrViews({ size: 32 }) }) };
}

/**
 * An ImageFolder of JPEGs (`readImageFolder`, decoded in the worker by `viewsTransform`), RandomResizedCrop(224) +
 * flip + ImageNet Normalize. `decode` as in `viewsTransform`: 'fast' (libjpeg-turbo fast IDCT, the default),
 * 'exact' (sharp, PIL's pixels) or 'region' (exact, only the crop's rows).
 */
export async function jpegRrc224(args: {
  dir: string;
  concurrency?: number;
  decode?: 'fast' | 'exact' | 'region';
}): Promise<Pipeline> {
  sharp.concurrency(args.concurrency ?? 1);
  const view = new ImageView({
    geometry: new RandomResizedCrop(224),
    flip: 0.5,
    normalize: new Normalize(IMAGENET_MEAN, IMAGENET_STD),
  });
  return {
    dataset: await readImageFolder(args.dir),
    transform: viewsTransform({ image: [view], decode: args.decode ?? 'fast' }),
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

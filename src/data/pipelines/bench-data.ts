/**
 * The pipelines `npm run bench:data` times (bench/data/run.ts). They live in src because loader worker threads
 * build pipelines only from the pipeline table, and a table entry must be importable by the worker.
 */
import sharp from 'sharp';
import { RandomResizedCrop } from '../augment/random-resized-crop.ts';
import { ImageView } from '../augment/image-view.ts';
import { IMAGENET_MEAN, IMAGENET_STD, Normalize } from '../augment/pixel-ops.ts';
import { simclrViews } from '../augment/views.ts';
import type { Pipeline } from '../loader/loader-types.ts';
import { viewsTransform } from '../loader/sample-transforms.ts';
import { readCifar10 } from '../readers/cifar.ts';
import { readImageFolder } from '../readers/image-folder.ts';
import type { Dataset } from '../types.ts';

/** CIFAR-10 records (or synthetic 32x32 images when `file` is empty), SimCLR two views at 32 px. */
export function benchCifarSimclr(args: { file: string; n: number }): Pipeline {
  const dataset: Dataset = args.file ? firstN(readCifar10(args.file), args.n) : syntheticCifar(args.n);
  return { dataset, transform: viewsTransform({ image: simclrViews({ size: 32 }) }) };
}

/**
 * An ImageFolder of JPEGs (`readImageFolder`, decoded in the worker by `viewsTransform`), RandomResizedCrop(224) +
 * flip + ImageNet Normalize. `decode` as in `viewsTransform`: 'fast' (libjpeg-turbo fast IDCT, the default),
 * 'exact' (sharp, PIL's pixels) or 'region' (exact, only the crop's rows).
 */
export async function benchJpegRrc224(args: {
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

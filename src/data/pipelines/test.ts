/**
 * The loader tests' pipeline. It lives in src (not test/) because loader worker threads build pipelines only from
 * the pipeline table, and a table entry must be importable by the worker.
 */
import { GaussianNoise } from '../augment/tabular-views.ts';
import { TokenDropout } from '../augment/text-views.ts';
import { simclrViews } from '../augment/views.ts';
import type { Sample } from '../types.ts';
import type { Pipeline } from '../loader/loader-types.ts';
import { viewsTransform } from '../loader/sample-transforms.ts';

/** Deterministic in-memory samples: a 20x24 image, label, caption, 5 tabular features. */
export function makeSample(index: number): Sample {
  const h = 20;
  const w = 24;
  const data = new Uint8Array(h * w * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + index * 13 + ((i * index) % 31)) % 256;
  return {
    index,
    id: `test/${index}`,
    image: { data, width: w, height: h, channels: 3 },
    label: index % 10,
    captions: [`sample ${index}`],
    tabular: Float32Array.from({ length: 5 }, (_, j) => index + j / 10),
  };
}

/** `{ length, async, fail }`: dataset size, whether `get` is async, and an index whose `get` throws. */
export function testPipeline(args: { length?: number; async?: boolean; fail?: number } = {}): Pipeline {
  const length = args.length ?? 37;
  const get = (i: number) => {
    if (i === args.fail) throw new Error(`cannot read sample ${i}`);
    return makeSample(i);
  };
  const drop = new TokenDropout({ rate: 0.3, padId: 0, specialIds: [1, 2] });
  return {
    dataset: {
      name: 'test',
      length,
      get: args.async ? async (i) => get(i) : get,
    },
    transform: viewsTransform({
      image: simclrViews({ size: 16 }),
      tabular: [new GaussianNoise({ std: 0.1 })],
      tokens: (s, rng) => drop.forward(Int32Array.of(1, 10 + (s.index % 5), 20, 30, 2, 0), rng),
    }),
  };
}

/**
 * The stream tests' pipeline: only the transform is used (a `StreamLoader` takes its samples from the stream;
 * WebDataset samples carry `imageBytes`, decoded here, in the worker), so the dataset is empty.
 */
export function testStreamPipeline(args: { size?: number } = {}): Pipeline {
  return {
    dataset: { name: 'test-stream', length: 0, get: (i) => makeSample(i) },
    transform: viewsTransform({ image: simclrViews({ size: args.size ?? 16 }) }),
  };
}

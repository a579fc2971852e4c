/**
 * The image side of the CIFAR-100 recipes (supervised, SimCLR, MoCo, BYOL): the encoder their config names, its
 * 32 px input, the `cifar100` pipeline of a view mode over their training binary, and model.json's image block.
 */
import { CIFAR100_MEAN, CIFAR100_STD, type CifarViewMode } from '../../../data/pipelines/cifar.ts';
import { pipelineSource, type PipelineSource } from '../../../data/pipelines/index.ts';
import type { Batch } from '../../../data/loader/loader-types.ts';
import { cifarEncoder, type CifarEncoderConfig } from '../../../nn/models/cifar-encoder.ts';
import { dirname } from 'node:path';
import type { Params } from '../../../nn/context.ts';
import { loadCifarEval, probeCifar } from './cifar-eval.ts';
import { runImageTower } from './tower-runner.ts';
import type { InputSpec, TowerSpec } from '../../recipe.ts';
import { specHooks, specSource, type SpecSource } from './spec-data.ts';
import type { ImagePreprocessing } from './image-text-data.ts';

/** CIFAR-100 records: 32 px, normalised with the training set's mean/std, no resampling at evaluation. */
export const CIFAR_PREPROCESSING: ImagePreprocessing = {
  size: 32,
  layout: 'NCHW',
  scale: '1/255',
  mean: CIFAR100_MEAN,
  std: CIFAR100_STD,
  eval: 'none (32 px records)',
};

/**
 * The encoder and data of a CIFAR-100 recipe config (`file`, `limit`, `cropScale`, `encoder`), or of a `data` SPEC
 * opened as `spec` (the same view modes over its images, resampled to 32 px; `hooks` then add kNN on its validation
 * split as `periodicEval`, the stream and the skipped-items report).
 *
 * @example
 * const c = cifarImage(cfg); // c.encoder.dim, c.pipeline('simclr'), c.inputs(B)
 */
export function cifarImage(
  cfg: {
    readonly file: string;
    readonly limit: number;
    readonly cropScale: readonly [number, number];
    readonly encoder: CifarEncoderConfig;
    readonly evalGeometry?: boolean;
  },
  spec?: SpecSource,
) {
  const encoder = cifarEncoder(cfg.encoder);
  const specViews = (part: 'train' | 'val', mode: CifarViewMode) =>
    specSource(spec!, { part, image: { kind: 'cifar', mode, scale: cfg.cropScale } });
  return {
    encoder,
    /** One [n, 3, 32, 32] image input named `name`. */
    input: (n: number): InputSpec => ({ shape: [n, 3, 32, 32] }),
    pipeline: (mode: CifarViewMode): PipelineSource =>
      spec
        ? specViews('train', mode)
        : pipelineSource('cifar100', { file: cfg.file, mode, scale: cfg.cropScale, limit: cfg.limit }),
    /** A SPEC's taxonomy (null for CIFAR-100 binaries). */
    taxonomy: spec?.taxonomy ?? null,
    /**
     * `periodicEval` and the rest of a SPEC's hooks; on CIFAR-100 binaries, kNN top-1 (k 200) at both ranks of the
     * first 1,000 `test.bin` records (beside `file`) against the first 2,000 training records.
     */
    hooks: <P extends Params>(towers: (n: number) => Readonly<Record<string, TowerSpec>>) =>
      spec
        ? specHooks<P>(spec, {
            towers,
            tower: 'image',
            eval: (part) => specViews(part, 'eval'),
            geometry: cfg.evalGeometry,
          })
        : { periodicEval: (params: P) => cifarKnn(params, towers, cfg.file) },
    describe: (extra: Record<string, unknown> = {}) => ({
      arch: encoder.config,
      ...extra,
      preprocessing: CIFAR_PREPROCESSING,
    }),
  };
}

/** The two augmented views of a batch as the steps of SimCLR, MoCo and BYOL take them. */
export const twoViews = {
  batchSpec: (n: number) => ({ view1: { shape: [n, 3, 32, 32] }, view2: { shape: [n, 3, 32, 32] } }),
  feeds: (batch: Batch) => ({ view1: batch.views[0], view2: batch.views[1] }),
};

/** kNN top-1 by rank (`knn/class`, `knn/superclass`) of a CIFAR-100 image tower, for `train.evalEvery`. */
async function cifarKnn(
  params: Params,
  towers: (n: number) => Readonly<Record<string, TowerSpec>>,
  file: string,
): Promise<Record<string, number>> {
  const data = loadCifarEval(dirname(file), { train: 2000, test: 1000 });
  const embed = async (d: { images: Float32Array; n: number }) =>
    (await runImageTower({ towers }, params, d.images, d.n, 100)).embedding;
  const r = await probeCifar(
    await embed(data.train),
    data.train.labels,
    await embed(data.test),
    data.test.labels,
    {
      probe: false,
    },
  );
  return { 'knn/class': r.knn.fine, 'knn/superclass': r.knn.coarse };
}

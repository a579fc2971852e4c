/**
 * The image side of the CIFAR-100 recipes (supervised, SimCLR, MoCo, BYOL): the encoder their config names, its
 * 32 px input, the `cifar100` pipeline of a view mode over their training binary, and model.json's image block.
 */
import { CIFAR100_MEAN, CIFAR100_STD, type CifarViewMode } from '../../../data/pipelines/cifar.ts';
import { pipelineSource, type PipelineSource } from '../../../data/pipelines/index.ts';
import type { Batch } from '../../../data/loader/loader-types.ts';
import { cifarEncoder, type CifarEncoderConfig } from '../../../nn/models/cifar-encoder.ts';
import type { InputSpec } from '../../recipe.ts';
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
 * The encoder and data of a CIFAR-100 recipe config (`file`, `limit`, `cropScale`, `encoder`).
 *
 * @example
 * const c = cifarImage(cfg); // c.encoder.dim, c.pipeline('simclr'), c.inputs(B)
 */
export function cifarImage(cfg: {
  readonly file: string;
  readonly limit: number;
  readonly cropScale: readonly [number, number];
  readonly encoder: CifarEncoderConfig;
}) {
  const encoder = cifarEncoder(cfg.encoder);
  return {
    encoder,
    /** One [n, 3, 32, 32] image input named `name`. */
    input: (n: number): InputSpec => ({ shape: [n, 3, 32, 32] }),
    pipeline: (mode: CifarViewMode): PipelineSource =>
      pipelineSource('cifar100', { file: cfg.file, mode, scale: cfg.cropScale, limit: cfg.limit }),
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

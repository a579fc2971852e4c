/** The built-in synthetic-taxonomy as an image-text source (60 species, 4 ranks, captions in five text types). */
import { OPENAI_MEAN, OPENAI_STD } from '../../../data/augment/pixel-ops.ts';
import { pipelineSource } from '../../../data/pipelines/index.ts';
import { syntheticTaxonomy } from '../../../data/synthetic/synthetic-taxonomy.ts';
import type { ImagePreprocessing, ImageTextData } from './image-text-data.ts';

/** CLIP's preprocessing at `size`: resize shorter side + centre crop (bicubic), OpenAI mean/std. */
export function clipPreprocessing(size: number): ImagePreprocessing {
  return {
    size,
    layout: 'NCHW',
    scale: '1/255',
    mean: [...OPENAI_MEAN],
    std: [...OPENAI_STD],
    eval: 'resize shorter side + centre crop, bicubic',
  };
}

/**
 * synthetic-taxonomy of `seed` (`perSpecies` training images of side `size`); held-out splits are other splits of
 * the same species. Views: BioCLIP's training crop (or CLIPin's two views) and CLIP's eval transform, with the
 * OpenAI CLIP mean/std or `normalize` (a pretrained model's, when fine-tuning one).
 */
export function syntheticData(cfg: {
  seed: number;
  perSpecies: number;
  size: number;
  normalize?: { readonly mean: readonly number[]; readonly std: readonly number[] };
}): ImageTextData {
  const synthetic = syntheticTaxonomy({ seed: cfg.seed, perSpecies: cfg.perSpecies, size: cfg.size });
  const stats = cfg.normalize ?? { mean: OPENAI_MEAN, std: OPENAI_STD };
  const pipeline = (split: string, mode: 'train' | 'eval', perSpecies: number, views: 1 | 2) =>
    pipelineSource('synthetic-image-text', {
      seed: cfg.seed,
      perSpecies,
      size: cfg.size,
      split,
      mode,
      views,
      ...(cfg.normalize ? { normalize: { mean: [...stats.mean], std: [...stats.std] } } : {}),
    });
  return {
    name: 'synthetic-taxonomy',
    taxonomy: synthetic.taxonomy,
    classNames: synthetic.classNames,
    commonNames: synthetic.commonNames,
    // Sample k < K is species k (sample i is species i % K).
    captions: synthetic.classNames.map((_, k) => synthetic.get(k).captions ?? []),
    synthetic,
    preprocessing: { ...clipPreprocessing(cfg.size), mean: [...stats.mean], std: [...stats.std] },
    train: (views) => pipeline('train', 'train', cfg.perSpecies, views),
    evalSource: (split, count = 5) => pipeline(split, 'eval', count, 1),
    testImages: () => null,
  };
}

/**
 * Loader pipelines importable by worker threads (closures cannot cross threads: each thread calls the named
 * factory with JSON arguments).
 */
import { syntheticTaxonomy } from '../../data/synthetic/synthetic-taxonomy.ts';
import { bioclipTrainView, clipEvalView } from '../../data/augment/views.ts';
import { viewsTransform } from '../../data/loader/sample-transforms.ts';
import type { Pipeline } from '../../data/loader/loader-types.ts';

export interface SyntheticPipelineArgs {
  readonly seed: number;
  readonly perSpecies: number;
  readonly size: number;
  readonly split: string;
  /** 'train': BioCLIP's RandomResizedCrop(0.9–1, bicubic) + normalise; 'eval': resize + centre crop + normalise. */
  readonly mode: 'train' | 'eval';
}

export function syntheticPipeline(args: SyntheticPipelineArgs): Pipeline {
  const dataset = syntheticTaxonomy({
    seed: args.seed,
    perSpecies: args.perSpecies,
    size: args.size,
    split: args.split,
  });
  const view =
    args.mode === 'train' ? bioclipTrainView({ size: args.size }) : clipEvalView({ size: args.size });
  return { dataset, transform: viewsTransform({ image: [view] }) };
}

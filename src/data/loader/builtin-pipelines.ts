// Pipeline factories that worker threads can import by name (see `PipelineSource`); data-only arguments.
import { buildViews, type ViewSpec } from '../augment/view-spec.ts';
import { readCifar10, readCifar100 } from '../readers/cifar.ts';
import { syntheticTaxonomy, type SyntheticTaxonomyOptions } from '../synthetic/synthetic-taxonomy.ts';
import type { Dataset } from '../types.ts';
import type { Pipeline, PipelineSource } from './loader-types.ts';
import { viewsTransform } from './sample-transforms.ts';

/** URL of this module, for `PipelineSource.module`. */
export const BUILTIN_PIPELINES = new URL('./builtin-pipelines.ts', import.meta.url).href;

export interface BuiltinPipelineArgs {
  readonly views: ViewSpec;
  /** Pass captions through (default true). */
  readonly captions?: boolean;
}

/**
 * The built-in synthetic-taxonomy dataset with image views.
 *
 * @example
 * const source = builtinSource('syntheticTaxonomyViews', { dataset: { perSpecies: 20 }, views: { preset: 'simclr' } });
 * const loader = await DataLoader.create({ source, batchSize: 256, workers: 2 });
 */
export function syntheticTaxonomyViews(
  args: BuiltinPipelineArgs & { dataset?: SyntheticTaxonomyOptions },
): Pipeline {
  return withViews(syntheticTaxonomy(args.dataset ?? {}), args);
}

/** CIFAR-10 (`kind: 'cifar10'`, default) or CIFAR-100 binaries with image views. */
export function cifarViews(
  args: BuiltinPipelineArgs & { file: string; kind?: 'cifar10' | 'cifar100' },
): Pipeline {
  const ds = args.kind === 'cifar100' ? readCifar100(args.file) : readCifar10(args.file);
  return withViews(ds, args);
}

/** A `PipelineSource` for one of this module's factories. */
export function builtinSource(
  name: 'syntheticTaxonomyViews' | 'cifarViews',
  args: BuiltinPipelineArgs & Record<string, unknown>,
): PipelineSource {
  return { module: BUILTIN_PIPELINES, export: name, args };
}

function withViews(dataset: Dataset, args: BuiltinPipelineArgs): Pipeline {
  return {
    dataset,
    transform: viewsTransform({ image: buildViews(args.views), captions: args.captions ?? true }),
  };
}

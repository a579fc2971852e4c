/**
 * The pipeline table: every pipeline a loader can build, by name. A loader worker thread cannot receive a closure,
 * so a recipe (or any loader user) names its pipeline with a `PipelineSource` — a key of `PIPELINES` and the
 * factory's structured-cloneable arguments — and each thread calls that factory itself. The table's type drives
 * the sources: `pipelineSource('cifar100', { file, mode: 'simclr' })` is checked against `cifar100`'s arguments,
 * and "go to definition" on a key lands on its factory. A new pipeline is a factory here plus one table line.
 */
import { CladeError } from '../../util/errors.ts';
import type { Pipeline } from '../loader/loader-types.ts';
import { benchCifarSimclr, benchJpegRrc224 } from './bench-data.ts';
import { syntheticChains } from './chains.ts';
import { cifar100, cifarPresetViews } from './cifar.ts';
import { specPipeline } from './spec.ts';
import { syntheticImageText, syntheticReplay, syntheticViews } from './synthetic.ts';
import { syntheticTabular } from './tabular.ts';
import { testPipeline, testStreamPipeline } from './test.ts';

export const PIPELINES = {
  /** synthetic-taxonomy + the views of a view preset. */
  'synthetic-views': syntheticViews,
  /** CIFAR-10/100 binaries + the views of a view preset. */
  'cifar-views': cifarPresetViews,
  /** The image-text recipes on synthetic-taxonomy (clip-taxonomy, clipin). */
  'synthetic-image-text': syntheticImageText,
  /** clip-replay: biology + replay streams. */
  'synthetic-replay': syntheticReplay,
  /** multiview-tabular: image + caption + tabular views. */
  'synthetic-tabular': syntheticTabular,
  /** radial-finetune: taxonomic text chains. */
  'synthetic-chains': syntheticChains,
  /** The CIFAR-100 recipes (supervised, SimCLR, MoCo, BYOL; clip-taxonomy and clipin with captions). */
  cifar100,
  /** Every recipe's `data` SPEC (ImageFolder, manifests, WebDataset, chains); the worker opens the data itself. */
  spec: specPipeline,
  /** bench:data's cases. */
  'bench-cifar-simclr': benchCifarSimclr,
  'bench-jpeg-rrc224': benchJpegRrc224,
  /** The loader tests'. */
  test: testPipeline,
  'test-stream': testStreamPipeline,
} as const;

export type PipelineName = keyof typeof PIPELINES;
/** The argument of a pipeline's factory. */
export type PipelineArgs<K extends PipelineName> = Parameters<(typeof PIPELINES)[K]>[0];

/** A pipeline by name with its factory's arguments (plain data: it is copied to every worker thread). */
export type PipelineSource = {
  readonly [K in PipelineName]: { readonly pipeline: K; readonly args: PipelineArgs<K> };
}[PipelineName];

/**
 * A typed `PipelineSource`.
 *
 * @example
 * const source = pipelineSource('synthetic-views', { dataset: { perSpecies: 20 }, views: { preset: 'simclr' } });
 * const loader = await DataLoader.create({ source, batchSize: 256, workers: 2 });
 */
export function pipelineSource<K extends PipelineName>(pipeline: K, args: PipelineArgs<K>): PipelineSource {
  return { pipeline, args } as PipelineSource;
}

/**
 * Build the pipeline a source names (in whichever thread calls it).
 *
 * @example
 * const { dataset, transform } = await buildPipeline(pipelineSource('test', {}));
 */
export async function buildPipeline(source: PipelineSource): Promise<Pipeline> {
  const name = source.pipeline;
  if (!Object.hasOwn(PIPELINES, name))
    throw new CladeError(`unknown pipeline '${name}' (pipelines: ${Object.keys(PIPELINES).join(', ')})`, {
      field: 'pipeline',
    });
  // The union of (name, args) pairs is checked where the source is made; here every factory takes its own args.
  const factory = PIPELINES[name] as (args: unknown) => Pipeline | Promise<Pipeline>;
  const p = await factory(source.args);
  if (!p?.dataset || typeof p.transform !== 'function')
    throw new CladeError(`pipeline '${name}' must return { dataset, transform }`, { field: 'pipeline' });
  return p;
}

/**
 * Loader pipelines of the multimodal recipes (clipin, multiview-tabular, radial-finetune), importable by worker
 * threads: each thread calls the named factory with JSON arguments.
 */
import { syntheticTaxonomy, type SyntheticTaxonomyDataset } from '../../data/synthetic/synthetic-taxonomy.ts';
import { bioclipTrainView, clipEvalView, clipinViews } from '../../data/augment/views.ts';
import { GaussianNoise, ScarfCorruption, type TabularView } from '../../data/augment/tabular-views.ts';
import { viewsTransform } from '../../data/loader/sample-transforms.ts';
import type { LoaderDataset, Pipeline } from '../../data/loader/loader-types.ts';
import { taxonText } from '../../data/taxonomy/text-types.ts';
import { Rng } from '../../util/rng.ts';
import type { SyntheticPipelineArgs } from './pipelines.ts';

/**
 * CLIPin's two image views (methods.md §D.5): the same stochastic pipeline (RandomResizedCrop scale 0.8–1, ratio 1,
 * flip, brightness 0.1, CLIP mean/std) sampled twice; view 1 feeds the online encoder, view 2 the target.
 * Eval mode gives one resize + centre-crop view.
 */
export function clipinPipeline(args: SyntheticPipelineArgs): Pipeline {
  const dataset = syntheticTaxonomy({
    seed: args.seed,
    perSpecies: args.perSpecies,
    size: args.size,
    split: args.split,
  });
  const image =
    args.mode === 'train' ? clipinViews({ size: args.size }) : [clipEvalView({ size: args.size })];
  return { dataset, transform: viewsTransform({ image }) };
}

/** Reference rows of the 6 tabular features: the first `perSpecies` samples of every species (row-major [N, 6]). */
export function tabularReference(
  ds: SyntheticTaxonomyDataset,
  perSpecies = 3,
): { table: Float32Array; rows: number } {
  const K = ds.species.length;
  const rows = Math.min(ds.length, perSpecies * K);
  const F = ds.tabularFeatures.length;
  const table = new Float32Array(rows * F);
  for (let i = 0; i < rows; i++) table.set(ds.get(i).tabular!, i * F);
  return { table, rows };
}

/** Per-feature mean and standard deviation of a reference table (the tabular tower standardises with them). */
export function columnStats(table: Float32Array, rows: number): { mean: Float32Array; std: Float32Array } {
  const F = table.length / rows;
  const mean = new Float32Array(F);
  const std = new Float32Array(F);
  for (let j = 0; j < F; j++) {
    let s = 0;
    for (let i = 0; i < rows; i++) s += table[i * F + j];
    const m = s / rows;
    let v = 0;
    for (let i = 0; i < rows; i++) v += (table[i * F + j] - m) ** 2;
    mean[j] = m;
    std[j] = Math.sqrt(v / Math.max(1, rows - 1)) || 1;
  }
  return { mean, std };
}

/** Apply several tabular views in sequence as one view. */
class ComposedTabularView implements TabularView<null> {
  readonly name: string;
  constructor(private readonly parts: readonly TabularView<unknown>[]) {
    this.name = parts.map((p) => p.name).join('+');
  }
  sample(): null {
    return null;
  }
  apply(x: Float32Array): Float32Array {
    return x;
  }
  forward(x: Float32Array, rng: Rng): Float32Array {
    return this.parts.reduce((v, p) => p.forward(v, rng), x);
  }
}

export interface TabularPipelineArgs extends SyntheticPipelineArgs {
  /** SCARF corruption rate (features replaced by draws from their empirical marginals). */
  readonly corruption: number;
  /** Gaussian noise as a fraction of each feature's standard deviation. */
  readonly noise: number;
}

/**
 * Image + caption + tabular pipeline (methods.md §F.4): one image view (BioCLIP's crop in training), the captions,
 * and one tabular view — SCARF corruption (Bahri et al. 2022, https://arxiv.org/abs/2106.15147) followed by
 * per-feature Gaussian noise. Eval mode: centre crop and clean features.
 */
export function tabularPipeline(args: TabularPipelineArgs): Pipeline {
  const dataset = syntheticTaxonomy({
    seed: args.seed,
    perSpecies: args.perSpecies,
    size: args.size,
    split: args.split,
  });
  if (args.mode === 'eval')
    return {
      dataset,
      transform: viewsTransform({ image: [clipEvalView({ size: args.size })], tabular: [identity] }),
    };
  const ref = tabularReference(dataset);
  const { std } = columnStats(ref.table, ref.rows);
  const view = new ComposedTabularView([
    new ScarfCorruption({ rate: args.corruption, table: ref.table, rows: ref.rows, features: std.length }),
    new GaussianNoise({ std: std.map((s) => s * args.noise) }),
  ]);
  return {
    dataset,
    transform: viewsTransform({ image: [bioclipTrainView({ size: args.size })], tabular: [view] }),
  };
}

const identity: TabularView<null> = {
  name: 'Identity',
  sample: () => null,
  apply: (x) => x,
  forward: (x) => Float32Array.from(x),
};

/** A positive chain (general → specific) and a same-level negative chain, 4 texts each. */
export interface TextChain {
  readonly positive: readonly string[];
  readonly negative: readonly string[];
}

/**
 * Radial-embedding training chains from the synthetic taxonomy (methods.md §C.3 with synthetic data, as §C.5
 * recommends): positive = `taxon` captions of one species truncated to kingdom, + order, + genus, + species;
 * negative = the same levels of a species from another kingdom (so every level differs).
 * Chain `i` uses species `species[i % n]` and a negative drawn with `rng`.
 */
export function taxonomyChains(
  ds: SyntheticTaxonomyDataset,
  species: readonly number[],
  count: number,
  rng: Rng,
): TextChain[] {
  const levels = (k: number) =>
    [1, 2, 3, 4].map((n) => taxonText(ds.species[k].lineage.slice(0, n), undefined, 'taxon'));
  const out: TextChain[] = [];
  for (let i = 0; i < count; i++) {
    const k = species[i % species.length];
    const others = ds.species.filter((s) => s.lineage[0] !== ds.species[k].lineage[0]);
    const neg = others[rng.int(others.length)].label;
    out.push({ positive: levels(k), negative: levels(neg) });
  }
  return out;
}

export interface ChainPipelineArgs {
  readonly seed: number;
  /** Species whose chains are trained on (default: every species). */
  readonly species?: readonly number[];
  readonly count: number;
}

/** A text-only dataset of chains: `captions` = [p₁..p₄, n₁..n₄]. */
export function chainPipeline(args: ChainPipelineArgs): Pipeline {
  const ds = syntheticTaxonomy({ seed: args.seed, perSpecies: 1 });
  const species = args.species ?? ds.species.map((s) => s.label);
  const chains = taxonomyChains(ds, species, args.count, new Rng(args.seed).fork('chains'));
  const dataset: LoaderDataset = {
    name: 'synthetic-taxonomy-chains',
    length: chains.length,
    get: (index) => ({
      index,
      id: `chains/${index}`,
      captions: [...chains[index].positive, ...chains[index].negative],
    }),
  };
  return { dataset, transform: viewsTransform({}) };
}

export interface ReplayPipelineArgs extends SyntheticPipelineArgs {
  /** Seed of the replay stream's own synthetic-taxonomy (another tree of species, names and images). */
  readonly replaySeed: number;
  readonly replayPerSpecies: number;
  /** Index into TEXT_TYPES of the replay caption (clade's stand-in for LAION's raw text: the common name). */
  readonly replayTextType: number;
}

/**
 * BioCLIP 2's experience replay stream (methods.md §A.4) on synthetic data: each item carries a biology sample
 * (view 0, captions 0–4 = the five text types) and a replay sample drawn uniformly from a second dataset with the
 * item's rng (view 1, caption 5), so every batch is a biology batch plus an appended replay batch.
 */
export function replayPipeline(args: ReplayPipelineArgs): Pipeline {
  const opts = { size: args.size, split: args.split };
  const dataset = syntheticTaxonomy({ ...opts, seed: args.seed, perSpecies: args.perSpecies });
  const replay = syntheticTaxonomy({ ...opts, seed: args.replaySeed, perSpecies: args.replayPerSpecies });
  const view =
    args.mode === 'train' ? bioclipTrainView({ size: args.size }) : clipEvalView({ size: args.size });
  const transform: Pipeline['transform'] = (sample, rng, ctx) => {
    const r = replay.get(rng.int(replay.length));
    const k = view.size(sample.image!.channels);
    const views = [
      view.forward(sample.image!, rng, ctx?.viewSlot(0, k)),
      view.forward(r.image!, rng, ctx?.viewSlot(1, k)),
    ];
    return { views, label: sample.label, captions: [...sample.captions!, r.captions![args.replayTextType]] };
  };
  return { dataset, transform };
}

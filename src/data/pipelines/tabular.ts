/**
 * The multi-view (image + caption + tabular) pipeline of synthetic-taxonomy, and the reference statistics its
 * tabular view and the tabular tower share.
 */
import { GaussianNoise, ScarfCorruption, type TabularView } from '../augment/tabular-views.ts';
import { bioclipTrainView, clipEvalView } from '../augment/views.ts';
import type { Pipeline } from '../loader/loader-types.ts';
import { viewsTransform } from '../loader/sample-transforms.ts';
import { syntheticTaxonomy, type SyntheticTaxonomyDataset } from '../synthetic/synthetic-taxonomy.ts';
import type { Rng } from '../../util/rng.ts';
import type { SyntheticSplitArgs } from './synthetic.ts';

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
export class ComposedTabularView implements TabularView<null> {
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

export const identityTabularView: TabularView<null> = {
  name: 'Identity',
  sample: () => null,
  apply: (x) => x,
  forward: (x) => Float32Array.from(x),
};

export interface SyntheticTabularArgs extends SyntheticSplitArgs {
  /** SCARF corruption rate (features replaced by draws from their empirical marginals). */
  readonly corruption: number;
  /** Gaussian noise as a fraction of each feature's standard deviation. */
  readonly noise: number;
}

/**
 * Image + caption + tabular pipeline (docs/methods.md §F.4): one image view (BioCLIP's crop in training), the captions,
 * and one tabular view — SCARF corruption (Bahri et al. 2022, https://arxiv.org/abs/2106.15147) followed by
 * per-feature Gaussian noise. Eval mode: centre crop and clean features.
 */
export function syntheticTabular(args: SyntheticTabularArgs): Pipeline {
  const dataset = syntheticTaxonomy({
    seed: args.seed,
    perSpecies: args.perSpecies,
    size: args.size,
    split: args.split,
  });
  if (args.mode === 'eval')
    return {
      dataset,
      transform: viewsTransform({
        image: [clipEvalView({ size: args.size })],
        tabular: [identityTabularView],
      }),
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

/** Text-only datasets of taxonomic chains (Radial Embedding fine-tuning). */
import type { LoaderDataset, Pipeline } from '../loader/loader-types.ts';
import { viewsTransform } from '../loader/sample-transforms.ts';
import { syntheticTaxonomy, type SyntheticTaxonomyDataset } from '../synthetic/synthetic-taxonomy.ts';
import { taxonText } from '../taxonomy/text-types.ts';
import { Rng } from '../../util/rng.ts';

/** A positive chain (general → specific) and a same-level negative chain, 4 texts each. */
export interface TextChain {
  readonly positive: readonly string[];
  readonly negative: readonly string[];
}

/**
 * Radial-embedding training chains from the synthetic taxonomy (docs/methods.md §C.3 with synthetic data, as §C.5
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

/** A text-only dataset of chains of synthetic-taxonomy (seed `seed`): `captions` = [p₁..p₄, n₁..n₄]. */
export function syntheticChains(args: ChainPipelineArgs): Pipeline {
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

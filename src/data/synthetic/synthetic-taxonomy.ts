import { Rng } from '../../util/rng.ts';
import { CladeError } from '../../util/errors.ts';
import type { Dataset, Sample } from '../types.ts';
import type { Taxonomy } from '../taxonomy/taxonomy.ts';
import { TEXT_TYPES, taxonText } from '../taxonomy/text-types.ts';
import { buildSpecies, DEFAULT_TREE, HABITATS, type SpeciesSpec, type TreeShape } from './species.ts';
import { drawNuisance, renderOrganism, type OrganismVariants } from './render.ts';

export interface SyntheticTaxonomyOptions {
  /** Seed of the whole dataset: names, species signatures and every sample. Default 0. */
  readonly seed?: number;
  /** Samples per species in this split. Default 50. */
  readonly perSpecies?: number;
  /** Image side in pixels. Default 32. */
  readonly size?: number;
  /** Split name; each split draws its own samples from the same species. Default `train`. */
  readonly split?: string;
  /** Uniform pixel-noise amplitude (0..255 scale). Default 6. */
  readonly noise?: number;
  /** Standard deviation of the `beak` trait around its species mean. Default 0.04. */
  readonly traitNoise?: number;
  /** Tree shape; default 3 kingdoms → 6 orders → 15 genera → 60 species. */
  readonly tree?: TreeShape;
}

/** Names of the tabular feature columns (`Sample.tabular`, F = 6), in order. */
export const SYNTHETIC_TABULAR_FEATURES = [
  'body_length_mm',
  'body_depth_mm',
  'beak_length_mm',
  'mass_g',
  'hue_index',
  'pattern_period_mm',
] as const;

export interface SyntheticTaxonomyDataset extends Dataset {
  readonly taxonomy: Taxonomy;
  readonly species: readonly SpeciesSpec[];
  /** Class names by label (scientific names, `Genus epithet`). */
  readonly classNames: readonly string[];
  readonly commonNames: readonly string[];
  readonly habitats: typeof HABITATS;
  readonly tabularFeatures: typeof SYNTHETIC_TABULAR_FEATURES;
  readonly perSpecies: number;
  readonly split: string;
}

/**
 * The built-in `synthetic-taxonomy` dataset: procedurally rendered organisms of a 4-rank taxonomy, generated on
 * the fly and deterministic in `seed` (see docs/datasets.md for the guarantees). Sample `i` is species
 * `i % K`; its variants, trait, pose and noise come from an Rng forked on `(split, i)`, so any sample can be
 * regenerated alone.
 *
 * Each sample carries: `image` (S×S×3), `label` (species), `lineage` (kingdom, order, genus, epithet),
 * `captions` (the five BioCLIP 2 text types in `TEXT_TYPES` order; also keyed by type in `texts`), `variants` `{ stage, sex }`,
 * `traits` `{ beak }`, `attributes` `{ habitat }`, `tabular` (F = 6, `SYNTHETIC_TABULAR_FEATURES`), `split`.
 *
 * @example
 * const ds = syntheticTaxonomy({ seed: 0, perSpecies: 20, split: 'train' });
 * ds.length;                 // 1200 (60 species × 20)
 * ds.get(0).captions?.[1];   // e.g. 'a photo of Phaelus crantensis.'
 */
export function syntheticTaxonomy(opts: SyntheticTaxonomyOptions = {}): SyntheticTaxonomyDataset {
  const seed = opts.seed ?? 0;
  const perSpecies = opts.perSpecies ?? 50;
  const size = opts.size ?? 32;
  const split = opts.split ?? 'train';
  const noise = opts.noise ?? 6;
  const traitNoise = opts.traitNoise ?? 0.04;
  if (!(Number.isInteger(perSpecies) && perSpecies >= 1))
    throw new CladeError(`perSpecies must be a positive integer, got ${perSpecies}`, { field: 'perSpecies' });
  if (!(Number.isInteger(size) && size >= 8))
    throw new CladeError(`size must be an integer >= 8, got ${size}`, { field: 'size' });
  const { species, taxonomy } = buildSpecies(seed, opts.tree ?? DEFAULT_TREE);
  const K = species.length;
  const captions = species.map((s) =>
    TEXT_TYPES.map((t) => taxonText(s.lineage, s.common, t, { scientific: s.scientific })),
  );
  const texts = captions.map((c) => Object.fromEntries(TEXT_TYPES.map((t, i) => [t, c[i]])));
  const base = new Rng(seed).fork(`synthetic-taxonomy/split:${split}`);
  const length = K * perSpecies;

  const get = (index: number): Sample => {
    if (!(Number.isInteger(index) && index >= 0 && index < length))
      throw new CladeError(`index ${index} out of range 0..${length - 1}`, {
        file: 'synthetic-taxonomy',
        record: index,
      });
    const s = species[index % K];
    const rng = base.fork(index);
    const variants: OrganismVariants = {
      stage: rng.bernoulli(0.5) ? 'juvenile' : 'adult',
      sex: rng.bernoulli(0.5) ? 'male' : 'female',
    };
    const beak = Math.min(1, Math.max(0, s.beakMean + traitNoise * rng.normal()));
    const nz = drawNuisance(rng, noise);
    const image = renderOrganism(s, variants, beak, nz, rng, size);
    const grow = variants.stage === 'juvenile' ? 0.72 : 1;
    const len = 40 * Math.sqrt(s.aspect) * grow * nz.scale * (1 + 0.03 * rng.normal());
    const depth = (40 / Math.sqrt(s.aspect)) * grow * nz.scale * (1 + 0.03 * rng.normal());
    const tabular = Float32Array.from([
      len,
      depth,
      4 + 20 * beak + 0.5 * rng.normal(),
      0.05 * len * depth * depth * (1 + 0.05 * rng.normal()),
      s.hue / 360 + 0.01 * rng.normal(),
      s.period * (1 + 0.05 * rng.normal()),
    ]);
    return {
      index,
      id: `synthetic-taxonomy/${split}/${index}`,
      image,
      label: s.label,
      lineage: s.lineage,
      captions: captions[s.label],
      texts: texts[s.label],
      variants: { stage: variants.stage, sex: variants.sex },
      traits: { beak },
      attributes: { habitat: s.habitat },
      tabular,
      split,
    };
  };

  return {
    name: 'synthetic-taxonomy',
    length,
    get,
    taxonomy,
    species,
    classNames: species.map((s) => s.scientific),
    commonNames: species.map((s) => s.common),
    habitats: HABITATS,
    tabularFeatures: SYNTHETIC_TABULAR_FEATURES,
    perSpecies,
    split,
  };
}

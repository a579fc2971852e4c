import { Rng } from '../../util/rng.ts';
import { CladeError } from '../../util/errors.ts';
import { Taxonomy } from '../taxonomy/taxonomy.ts';
import { commonModifier, commonNoun, latinName } from './names.ts';

export const SYNTHETIC_RANKS = ['kingdom', 'order', 'genus', 'species'] as const;
export const HABITATS = ['aquatic', 'terrestrial', 'arboreal'] as const;
export type Habitat = (typeof HABITATS)[number];
export type PatternKind = 'stripes' | 'spots';

/** Shape of the tree: orders per kingdom, genera per order, species per genus (each list is cycled). */
export interface TreeShape {
  readonly kingdoms: number;
  readonly ordersPerKingdom: readonly number[];
  readonly generaPerOrder: readonly number[];
  readonly speciesPerGenus: readonly number[];
}

/** Default: 3 kingdoms → 6 orders → 15 genera → 60 species (genera hold 3, 4 or 5 species). */
export const DEFAULT_TREE: TreeShape = {
  kingdoms: 3,
  ordersPerKingdom: [2],
  generaPerOrder: [3, 2],
  speciesPerGenus: [3, 4, 5],
};

/** Everything the renderer needs about one species; all fixed by (seed, tree shape). */
export interface SpeciesSpec {
  readonly label: number;
  readonly kingdom: number; // indices of the clades at each rank
  readonly order: number;
  readonly genus: number;
  /** Position of the species inside its genus (0-based) and the genus size. */
  readonly rankInGenus: number;
  readonly genusSize: number;
  readonly lineage: readonly [string, string, string, string];
  readonly scientific: string;
  readonly common: string;
  readonly habitat: Habitat;
  // Visual signature, coarse to fine.
  readonly shapePower: number; // kingdom: superellipse exponent (2 ellipse, 4 rounded box, 1 diamond)
  readonly aspect: number; // order: body width / height
  readonly pattern: PatternKind; // order
  readonly hue: number; // kingdom base + genus offset (±50°) + species offset (6° steps), degrees
  readonly period: number; // genus: pattern period in pixels at 32x32
  readonly patternAngle: number; // species: radians
  readonly patternHueShift: number; // genus (140/180/220°) + species (8° steps): pattern hue minus body hue
  /** Mean of the `beak` trait (0..1), strictly increasing with `rankInGenus`. */
  readonly beakMean: number;
}

const KINGDOM_HUES = [10, 130, 250];
const SHAPE_POWERS = [2, 4, 1];
const ASPECTS = [1.15, 1.7, 1.4];

/**
 * Builds the species table and taxonomy of the synthetic dataset, deterministic in `seed`.
 *
 * @example
 * const { species, taxonomy } = buildSpecies(0);
 * species.length; // 60
 */
export function buildSpecies(
  seed: number,
  tree: TreeShape = DEFAULT_TREE,
): { species: SpeciesSpec[]; taxonomy: Taxonomy } {
  for (const [k, v] of Object.entries(tree))
    if (
      typeof v === 'number'
        ? !(Number.isInteger(v) && v >= 1)
        : v.length === 0 || v.some((x: number) => !(Number.isInteger(x) && x >= 1))
    )
      throw new CladeError(`tree.${k} must be positive integers`, { field: `tree.${k}` });
  const rng = new Rng(seed).fork('synthetic-taxonomy/species');
  const taken = new Set<string>();
  const nouns = new Set<string>();
  const species: SpeciesSpec[] = [];
  let orderIdx = 0;
  let genusIdx = 0;
  for (let k = 0; k < tree.kingdoms; k++) {
    const kingdomName = latinName(rng, 'kingdom', taken);
    const nOrders = tree.ordersPerKingdom[k % tree.ordersPerKingdom.length];
    // Genera of this kingdom, to spread their hues over ±50° around the kingdom's base hue.
    const generaCounts: number[] = [];
    for (let o = 0; o < nOrders; o++)
      generaCounts.push(tree.generaPerOrder[(orderIdx + o) % tree.generaPerOrder.length]);
    const kingdomGenera = generaCounts.reduce((a, b) => a + b, 0);
    let gInKingdom = 0;
    for (let o = 0; o < nOrders; o++, orderIdx++) {
      const orderName = latinName(rng, 'order', taken);
      for (let g = 0; g < generaCounts[o]; g++, genusIdx++, gInKingdom++) {
        const genusName = latinName(rng, 'genus', taken);
        const noun = commonNoun(rng, nouns);
        const n = tree.speciesPerGenus[genusIdx % tree.speciesPerGenus.length];
        // Kingdoms beyond the third reuse the three shapes and base hues, shifted by 30° per cycle.
        const genusHue =
          KINGDOM_HUES[k % 3] +
          30 * Math.floor(k / 3) +
          (kingdomGenera > 1 ? -50 + (100 * gInKingdom) / (kingdomGenera - 1) : 0);
        const period = 4 + (genusIdx % 4);
        const angleOrder = rng.permutation(n); // decorrelate pattern angle from the beak ordering
        const habitatOffset = rng.int(HABITATS.length);
        const modifiers = new Set<string>();
        const epithets = new Set<string>();
        for (let j = 0; j < n; j++) {
          const epithet = latinName(rng, 'species', epithets);
          species.push({
            label: species.length,
            kingdom: k,
            order: orderIdx,
            genus: genusIdx,
            rankInGenus: j,
            genusSize: n,
            lineage: [kingdomName, orderName, genusName, epithet],
            scientific: `${genusName} ${epithet}`,
            common: `${commonModifier(rng, modifiers)} ${noun}`,
            habitat: HABITATS[(habitatOffset + j) % HABITATS.length],
            shapePower: SHAPE_POWERS[k % 3],
            aspect: ASPECTS[o % ASPECTS.length],
            pattern: o % 2 === 0 ? 'stripes' : 'spots',
            hue: (((genusHue + (j - (n - 1) / 2) * 6) % 360) + 360) % 360,
            period,
            patternAngle: (Math.PI * angleOrder[j]) / n,
            patternHueShift: 140 + 40 * (genusIdx % 3) + 8 * angleOrder[(j + 1) % n],
            beakMean: n > 1 ? 0.15 + (0.7 * j) / (n - 1) : 0.5,
          });
        }
      }
    }
  }
  const taxonomy = new Taxonomy(
    SYNTHETIC_RANKS,
    species.map((s) => ({ lineage: s.lineage, common: s.common, scientific: s.scientific })),
  );
  return { species, taxonomy };
}

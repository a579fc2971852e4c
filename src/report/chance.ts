import { rankKey } from '../analysis/rank-aggregation.ts';

/**
 * Chance level for accuracy at each taxonomic rank: 1 / (number of distinct taxa at that rank), what a uniform
 * guess among the rank's taxa scores. Drawn beside accuracy bars so a number can be read against it.
 *
 * @example
 * chanceByRank([['Aves', 'Corvus'], ['Aves', 'Pica'], ['Mammalia', 'Canis']], 2); // [0.5, 0.3333]
 * chanceByRank([['Aves', 'Alpha'], ['Mammalia', 'Alpha']], 2); // [0.5, 0.5]: two genera named Alpha
 */
export function chanceByRank(lineages: readonly (readonly (string | null)[])[], ranks: number): number[] {
  return Array.from({ length: ranks }, (_, r) => {
    // taxa are lineage prefixes (tuples), as zero-shot by rank groups them: a genus name in two families is two taxa
    const taxa = new Set(lineages.filter((l) => l[r] !== null && l[r] !== '').map((l) => rankKey(l, r)));
    return taxa.size ? 1 / taxa.size : 0;
  });
}

/**
 * Chance level for accuracy at each taxonomic rank: 1 / (number of distinct taxa at that rank), what a uniform
 * guess among the rank's taxa scores. Drawn beside accuracy bars so a number can be read against it.
 *
 * @example
 * chanceByRank([['Aves', 'Corvus'], ['Aves', 'Pica'], ['Mammalia', 'Canis']], 2); // [0.5, 0.3333]
 */
export function chanceByRank(lineages: readonly (readonly (string | null)[])[], ranks: number): number[] {
  return Array.from({ length: ranks }, (_, r) => {
    const taxa = new Set(lineages.map((l) => l[r]).filter((x) => x !== null));
    return taxa.size ? 1 / taxa.size : 0;
  });
}

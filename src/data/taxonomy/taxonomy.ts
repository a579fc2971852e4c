import { CladeError } from '../../util/errors.ts';

/** One class of a taxonomy: its names from the coarsest to the finest rank (`null` where a rank is unknown). */
export interface TaxonClass {
  readonly lineage: readonly (string | null)[];
  /** Common (vernacular) name, if known. */
  readonly common?: string;
  /** Scientific name (e.g. `Pica hudsonia`); defaults to genus + epithet or the most specific known name. */
  readonly scientific?: string;
}

/**
 * A taxonomy: ordered rank names (coarsest first) and, for every class, its lineage.
 *
 * Missing intermediate ranks are explicit `null`s in the lineage; they are never filled in. A clade is identified
 * by its lineage prefix as a tuple (`prefixKey`), so two genera with the same name under different families stay
 * distinct, and so do names that would collide if joined into one string.
 * `labelsAt(rank)` gives -1 for classes whose name at that rank is missing.
 *
 * @example
 * const t = new Taxonomy(['genus', 'species'], [{ lineage: ['Pica', 'hudsonia'] }, { lineage: ['Pica', 'pica'] }]);
 * t.classesUnder('genus', 'Pica'); // [0, 1]
 * t.labelsAt('genus');             // Int32Array [0, 0]
 */
export class Taxonomy {
  readonly ranks: readonly string[];
  readonly classes: readonly TaxonClass[];
  private readonly cladeKeys: string[][]; // [K][R] prefixKey of each class's clade at each rank ('' when missing)
  private readonly cladeNames: Map<string, number>[]; // per rank: clade key -> clade index
  private readonly cladeList: { name: string; key: string }[][];

  constructor(ranks: readonly string[], classes: readonly TaxonClass[]) {
    if (ranks.length === 0) throw new CladeError('a taxonomy needs at least one rank');
    if (new Set(ranks).size !== ranks.length)
      throw new CladeError(`duplicate rank names in [${ranks.join(', ')}]`);
    this.ranks = [...ranks];
    this.classes = classes.map((c, i) => {
      if (c.lineage.length !== ranks.length)
        throw new CladeError(
          `lineage has ${c.lineage.length} names, expected ${ranks.length} (${ranks.join(', ')})`,
          {
            class: i,
          },
        );
      return { ...c, lineage: c.lineage.map((n) => (n === null || n === undefined || n === '' ? null : n)) };
    });
    this.cladeKeys = [];
    this.cladeNames = ranks.map(() => new Map());
    this.cladeList = ranks.map(() => []);
    for (const c of this.classes) {
      const keys: string[] = [];
      for (let r = 0; r < ranks.length; r++) {
        const name = c.lineage[r];
        if (name === null) {
          keys.push('');
          continue;
        }
        const prefix = prefixKey(c.lineage, r);
        keys.push(prefix);
        if (!this.cladeNames[r].has(prefix)) {
          this.cladeNames[r].set(prefix, this.cladeList[r].length);
          this.cladeList[r].push({ name, key: prefix });
        }
      }
      this.cladeKeys.push(keys);
    }
  }

  /** Number of classes (K). */
  get size(): number {
    return this.classes.length;
  }

  /** Index of a rank name; throws naming the known ranks when it is unknown. */
  rankIndex(rank: string | number): number {
    if (typeof rank === 'number') {
      if (!Number.isInteger(rank) || rank < 0 || rank >= this.ranks.length)
        throw new CladeError(`rank index ${rank} out of range 0..${this.ranks.length - 1}`);
      return rank;
    }
    const r = this.ranks.indexOf(rank);
    if (r < 0) throw new CladeError(`unknown rank '${rank}'; ranks are ${this.ranks.join(', ')}`);
    return r;
  }

  /** The lineage of class `k` (coarsest first). */
  lineage(k: number): readonly (string | null)[] {
    return this.at(k).lineage;
  }

  /** Name of class `k` at `rank`, or `null` when that rank is missing. */
  nameAt(k: number, rank: string | number): string | null {
    return this.at(k).lineage[this.rankIndex(rank)];
  }

  /** Distinct clade names at `rank`, in order of first appearance (index = label from `labelsAt`). */
  cladesAt(rank: string | number): string[] {
    return this.cladeList[this.rankIndex(rank)].map((c) => c.name);
  }

  /** For each class, the index of its clade at `rank` (into `cladesAt(rank)`), or -1 when missing. */
  labelsAt(rank: string | number): Int32Array /* [K] */ {
    const r = this.rankIndex(rank);
    const out = new Int32Array(this.classes.length);
    for (let k = 0; k < out.length; k++) {
      const key = this.cladeKeys[k][r];
      out[k] = key === '' ? -1 : this.cladeNames[r].get(key)!;
    }
    return out;
  }

  /** Classes whose name at `rank` is `name` (all clades of that name). Throws when no class has it. */
  classesUnder(rank: string | number, name: string): number[] {
    const r = this.rankIndex(rank);
    const out: number[] = [];
    for (let k = 0; k < this.classes.length; k++) if (this.classes[k].lineage[r] === name) out.push(k);
    if (out.length === 0) throw new CladeError(`no class has ${this.ranks[r]} '${name}'`);
    return out;
  }

  /** Class index whose finest-rank name (or scientific or common name) is `name`, or -1. */
  find(name: string): number {
    const last = this.ranks.length - 1;
    for (let k = 0; k < this.classes.length; k++) {
      const c = this.classes[k];
      if (c.lineage[last] === name || c.scientific === name || c.common === name) return k;
    }
    return -1;
  }

  /** Scientific name of class `k`: the given one, else `Genus epithet` when both ranks exist, else the most specific name. */
  scientific(k: number): string {
    const c = this.at(k);
    if (c.scientific) return c.scientific;
    const g = this.ranks.indexOf('genus');
    const s = this.ranks.indexOf('species');
    if (g >= 0 && s >= 0 && c.lineage[g] && c.lineage[s]) return `${c.lineage[g]} ${c.lineage[s]}`;
    return mostSpecific(c.lineage);
  }

  /**
   * Builds a taxonomy from rows of named columns (one row per class), e.g. parsed from a CSV.
   * Empty values and `NA` become missing ranks. Throws naming the row and column when a rank column is absent.
   */
  static fromRows(
    ranks: readonly string[],
    rows: readonly Readonly<Record<string, string | undefined>>[],
    opts: { common?: string; scientific?: string; file?: string } = {},
  ): Taxonomy {
    return new Taxonomy(
      ranks,
      rows.map((row, i) => {
        const lineage = ranks.map((r) => {
          if (!(r in row))
            throw new CladeError(`missing rank column '${r}'`, { file: opts.file, row: i + 1 });
          const v = row[r]?.trim();
          return v === undefined || v === '' || v === 'NA' ? null : v;
        });
        const common = opts.common ? row[opts.common]?.trim() || undefined : undefined;
        const scientific = opts.scientific ? row[opts.scientific]?.trim() || undefined : undefined;
        return { lineage, common, scientific };
      }),
    );
  }

  private at(k: number): TaxonClass {
    const c = this.classes[k];
    if (!c) throw new CladeError(`class index ${k} out of range 0..${this.classes.length - 1}`);
    return c;
  }
}

/** The most specific known name of a lineage (`''` when all are missing). */
export function mostSpecific(lineage: readonly (string | null)[]): string {
  for (let i = lineage.length - 1; i >= 0; i--) if (lineage[i]) return lineage[i]!;
  return '';
}

/** The lineage prefix from the coarsest rank down to rank index `r`, as a tuple (`null` where a rank is missing). */
export function rankPrefix(lineage: readonly (string | null)[], r: number): readonly (string | null)[] {
  return lineage.slice(0, r + 1).map((n) => (n === undefined || n === '' ? null : n));
}

/**
 * A map key for the tuple `rankPrefix(lineage, r)`: two lineages get the same key exactly when their prefixes are
 * equal name by name, whatever characters the names hold (`['A/B', 'C']` and `['A', 'B/C']` differ; a missing rank
 * differs from every name). This is how clades and rank groups are keyed (docs/methods.md §A.7: a prefix is a tuple).
 *
 * @example
 * prefixKey(['Animalia', 'Chordata', 'Aves'], 1); // '["Animalia","Chordata"]'
 */
export function prefixKey(lineage: readonly (string | null)[], r: number): string {
  return JSON.stringify(rankPrefix(lineage, r));
}

/**
 * Splitting caption chains (HierarCaps' `a => b => c => d`, general → specific) into a fine-tuning part and a
 * held-out part that share no caption at any level, and pairing fine-tuning chains with negatives in the
 * `positive,negative` training format of `radial-finetune --data chains:FILE.csv` (docs/methods.md §C.3–C.4).
 */
import { Rng } from '../../../src/util/rng.ts';

type Chain = readonly string[];

/** The form under which two captions count as the same: lower case, whitespace collapsed, no final full stop. */
export const captionKey = (t: string): string =>
  t.toLowerCase().replace(/\s+/g, ' ').trim().replace(/\.+$/, '');

export interface ChainSplit {
  /** Indices into the chains given. */
  readonly finetune: readonly number[];
  readonly heldOut: readonly number[];
  /** Connected components of the "shares a caption" graph (each lies wholly on one side). */
  readonly components: number;
  readonly largestComponent: number;
}

/**
 * Chains are joined when they share a caption (any level, by `captionKey`); whole components are taken in a seeded
 * order into the held-out part while it stays within `heldOutFraction` of the chains (+ 2 % slack), the rest
 * fine-tune. Throws if a caption ends up on both sides (it cannot, by construction; checked anyway).
 *
 * @example
 * const s = disjointChainSplit(chains, 0.4, 0); // s.heldOut.length ≈ 0.4 · chains.length
 */
export function disjointChainSplit(
  chains: readonly Chain[],
  heldOutFraction: number,
  seed: number,
): ChainSplit {
  const parent = chains.map((_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]];
    return x;
  };
  const first = new Map<string, number>();
  chains.forEach((c, i) =>
    c.forEach((t) => {
      const k = captionKey(t);
      const j = first.get(k);
      if (j === undefined) first.set(k, i);
      else parent[find(i)] = find(j);
    }),
  );
  const members = new Map<number, number[]>();
  chains.forEach((_, i) => {
    const r = find(i);
    members.set(r, [...(members.get(r) ?? []), i]);
  });
  const comps = [...members.values()];
  const order = new Rng(seed).fork('chain-split').permutation(comps.length);
  const target = heldOutFraction * chains.length;
  const held = new Set<number>();
  for (const c of order) {
    if (held.size >= target) break;
    if (held.size + comps[c].length <= target + 0.02 * chains.length) comps[c].forEach((i) => held.add(i));
  }
  const heldOut = chains.map((_, i) => i).filter((i) => held.has(i));
  const finetune = chains.map((_, i) => i).filter((i) => !held.has(i));
  const keys = new Set(heldOut.flatMap((i) => chains[i].map(captionKey)));
  const shared = finetune.flatMap((i) => chains[i].map(captionKey)).find((k) => keys.has(k));
  if (shared !== undefined) throw new Error(`caption '${shared}' is on both sides of the split`);
  return {
    finetune,
    heldOut,
    components: comps.length,
    largestComponent: Math.max(...comps.map((c) => c.length)),
  };
}

/**
 * `perChain` training rows per chain, round by round (all chains with their first negative, then their second, …):
 * the negative is another chain of the same list that differs at every level (up to 50 seeded draws; the RE code's
 * training file pairs each positive with a distractor chain the same way).
 */
export function chainPairs(
  chains: readonly Chain[],
  perChain: number,
  seed: number,
): { positive: Chain; negative: Chain }[] {
  if (chains.length < 2) throw new Error('pairing needs at least two chains');
  const rng = new Rng(seed).fork('chain-pairs');
  const keys = chains.map((c) => c.map(captionKey));
  const rows: { positive: Chain; negative: Chain }[] = [];
  for (let r = 0; r < perChain; r++)
    chains.forEach((p, i) => {
      let j = i;
      for (let t = 0; t < 50; t++) {
        j = rng.int(chains.length - 1);
        if (j >= i) j++;
        if (keys[j].every((k, l) => k !== keys[i][l])) break;
      }
      rows.push({ positive: p, negative: chains[j] });
    });
  return rows;
}

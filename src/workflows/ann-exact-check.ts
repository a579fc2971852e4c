/**
 * The `--ann-check` reference: exact neighbour lists of sampled queries, streamed over a Lance dataset, against which
 * `clade analyze --ann` measures its index's recall.
 */
import { similarityTopK } from '../analysis/top-k.ts';
import { l2Normalize, takeRows } from '../io/embeddings.ts';
import type { LanceDataset } from '../io/lance.ts';

/**
 * Exact neighbour lists of the check queries, streamed: top-`K` over every row of the split (self excluded) and,
 * for test queries, top-`kTrain` over the train rows. Compact row ids, best first.
 */
export async function exactLists(
  ds: LanceDataset,
  batch: number,
  queries: Int32Array,
  fileOfC: Int32Array,
  cOfFile: Int32Array,
  isTest: Uint8Array,
  K: number,
  kTrain: number,
): Promise<{ all: Int32Array; train: Int32Array }> {
  const Q = queries.length;
  const qz = l2Normalize(await ds.take(Array.from(queries, (ci) => fileOfC[ci])));
  const best = (k: number) => ({
    k,
    index: new Int32Array(Q * k).fill(-1),
    score: new Float32Array(Q * k).fill(-Infinity),
  });
  const all = best(K);
  const train = best(kTrain);
  /** Merge candidates (`idx`, `sc`: [Q, kk], best first) into `into` (best first, ties to lower id). */
  const merge = (
    into: ReturnType<typeof best>,
    idx: Int32Array,
    sc: Float32Array,
    kk: number,
    skip: (q: number, j: number) => boolean,
  ) => {
    const { k } = into;
    for (let q = 0; q < Q; q++) {
      const cand: { j: number; s: number }[] = [];
      for (let r = 0; r < k; r++)
        if (into.index[q * k + r] >= 0) cand.push({ j: into.index[q * k + r], s: into.score[q * k + r] });
      for (let r = 0; r < kk; r++) {
        const j = idx[q * kk + r];
        if (j >= 0 && !skip(q, j)) cand.push({ j, s: sc[q * kk + r] });
      }
      cand.sort((a, b) => b.s - a.s || a.j - b.j);
      for (let r = 0; r < k; r++) {
        into.index[q * k + r] = r < cand.length ? cand[r].j : -1;
        into.score[q * k + r] = r < cand.length ? cand[r].s : -Infinity;
      }
    }
  };
  const testQ = Array.from(queries.keys()).filter((q) => isTest[queries[q]]);
  const qzTest = takeRows(qz, testQ);
  for await (const { first, x } of ds.scan(batch)) {
    const local: number[] = [];
    for (let i = 0; i < x.n; i++) if (cOfFile[first + i] >= 0) local.push(i);
    if (!local.length) continue;
    const keys = l2Normalize(takeRows(x, local));
    const cOf = Int32Array.from(local, (i) => cOfFile[first + i]);
    const kk = Math.min(K + 1, keys.n);
    const nn = await similarityTopK(qz, keys, kk);
    merge(
      all,
      Int32Array.from(nn.index, (i) => cOf[i]),
      nn.score,
      kk,
      (q, j) => j === queries[q],
    );
    const trainLocal = Array.from(cOf.keys()).filter((i) => !isTest[cOf[i]]);
    if (testQ.length && trainLocal.length) {
      const kt = Math.min(kTrain, trainLocal.length);
      const nt = await similarityTopK(qzTest, takeRows(keys, trainLocal), kt);
      // scatter the test queries' candidates into a [Q, kt] block (other queries get none)
      const idx = new Int32Array(Q * kt).fill(-1);
      const sc = new Float32Array(Q * kt).fill(-Infinity);
      testQ.forEach((q, t) => {
        for (let r = 0; r < kt; r++) {
          idx[q * kt + r] = cOf[trainLocal[nt.index[t * kt + r]]];
          sc[q * kt + r] = nt.score[t * kt + r];
        }
      });
      merge(train, idx, sc, kt, () => false);
    }
  }
  return { all: all.index, train: train.index };
}

/**
 * Recall@k of ANN lists `got` against exact lists `want` (both row-major `[·, width]`, -1 = none) over the rows
 * `rows`: the share of each row's exact top-k found in its ANN top-k (NaN when no exact neighbours).
 */
export function recallAt(
  got: Int32Array,
  want: Int32Array,
  k: number,
  width: number,
  rows: readonly number[],
): number {
  let hit = 0;
  let total = 0;
  for (const s of rows) {
    const w = new Set(Array.from(want.subarray(s * width, s * width + k)).filter((j) => j >= 0));
    for (let r = 0; r < k; r++) if (w.has(got[s * width + r])) hit++;
    total += w.size;
  }
  return total ? hit / total : NaN;
}

/**
 * `clade analyze DATA.lance --ann`: kNN classification and the cluster analysis (sparse RLD, class homogeneity,
 * Calinski–Harabasz) streamed from a Lance dataset, neighbours from its ANN index. Rows are read in batches and
 * searched batch by batch; what stays in memory is O(N) labels and ids, the sparse RLD's `N · k` neighbour lists and
 * one batch — never the `N × D` matrix or anything `N × N`.
 */
import { extname } from 'node:path';
import { CalinskiHarabaszSums } from '../analysis/calinski-harabasz.ts';
import { homogeneityFromTopK } from '../analysis/class-homogeneity.ts';
import { knnVote } from '../analysis/knn.ts';
import { meanPerClassRecall } from '../analysis/labels.ts';
import { rldPoolRows, scaledDistance, SparseRld } from '../analysis/rld-sparse.ts';
import { resolveSettings, type AnalysisOutcome } from '../analysis/suite.ts';
import { l2Normalize, takeRows, type Embeddings } from '../io/embeddings.ts';
import { buildLanceIndex, openLanceDataset, type LanceDataset } from '../io/lance.ts';
import { makeResult, type CladeResult } from '../report/index.ts';
import { CladeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { writeAnalyzeResults, type AnalyzeOptions } from './analyze.ts';
import { exactLists } from './ann-exact-check.ts';
import { splitRows } from './ann-rows.ts';

/** `--ann` settings (recorded in both results' `params.ann`). */
export interface AnnOptions {
  /** Index built when the dataset has none (or `rebuild`): `ivf-pq` (default) or `ivf-hnsw-sq`. */
  readonly index?: 'ivf-pq' | 'ivf-hnsw-sq';
  /** IVF partitions of a new index (default √N). */
  readonly partitions?: number;
  /** PQ sub-vectors of a new IVF-PQ index (default D / 16). */
  readonly subVectors?: number;
  /** Replace an existing index. */
  readonly rebuild?: boolean;
  /** IVF partitions searched per query (default 20). */
  readonly nprobes?: number;
  /** Re-rank `refineFactor · limit` candidates exactly (default 2; distances are then exact). */
  readonly refineFactor?: number;
  /** Queries whose ANN neighbours are checked against an exact search (default 500; 0 = no check). */
  readonly check?: number;
  /** Rows per streamed batch (default 4096). */
  readonly batch?: number;
}

const ANN_ANALYSES = ['knn', 'cluster'] as const;

/** Check what `--ann` can run; the reasons are the messages. */
function checkAnnRequest(o: AnalyzeOptions): ('knn' | 'cluster')[] {
  if (extname(o.embeddings).toLowerCase() !== '.lance')
    throw new CladeError('--ann streams a Lance dataset (DIR.lance, clade embed --out DIR.lance)', {
      option: '--ann',
      file: o.embeddings,
    });
  const asked = o.analyses ?? ANN_ANALYSES;
  const other = asked.filter((a) => !(ANN_ANALYSES as readonly string[]).includes(a));
  if (other.length)
    throw new CladeError(
      `--ann runs knn and cluster from the index's neighbour lists; ${other.join(', ')} need${other.length > 1 ? '' : 's'} every embedding in memory: run ${other.length > 1 ? 'them' : 'it'} without --ann`,
      { option: '--analyses' },
    );
  const cols = { variantCol: '--variant-col', groupCol: '--group-col', traitCol: '--trait-col' } as const;
  for (const [k, opt] of Object.entries(cols))
    if (o[k as keyof typeof cols])
      throw new CladeError(`${opt} feeds analyses --ann does not run (knn and cluster only)`, {
        option: opt,
      });
  if (o.attributeCol || o.multiLabelCols?.length)
    throw new CladeError('--attribute-col / --multilabel-cols feed analyses --ann does not run', {
      option: '--ann',
    });
  return asked as ('knn' | 'cluster')[];
}

/**
 * Run `knn` and/or `cluster` on a Lance dataset through its ANN index and write one result each (see the file
 * comment; docs/analysis.md § At scale).
 */
export async function runAnalyzeAnn(
  o: AnalyzeOptions,
  ann: AnnOptions,
): Promise<{ results: CladeResult[]; files: string[] }> {
  const log = o.log ?? (() => {});
  const which = checkAnnRequest(o);
  const S = resolveSettings(o.settings);
  if (S.knn.metric !== 'cosine')
    throw new CladeError('the Lance index searches by cosine: --ann needs --knn-metric cosine', {
      option: '--knn-metric',
    });
  if (!S.rld.normalize)
    throw new CladeError(
      '--ann computes the sparse RLD on L2-normalised features: drop --rld-normalize false',
      {
        option: '--rld-normalize',
      },
    );
  if (o.settings?.rld?.method === 'exact' && which.includes('cluster'))
    throw new CladeError(
      '--ann computes the sparse RLD (--rld-method sparse); the exact RLD needs the rows in memory: run without --ann',
      { option: '--rld-method' },
    );
  const seed = o.seed ?? 0;
  const batch = ann.batch ?? 4096;
  const nprobes = ann.nprobes ?? 20;
  const refineFactor = ann.refineFactor ?? 2;
  const search = { nprobes, refineFactor };
  const timings: Record<string, number> = {};
  const clock = () => {
    const t0 = performance.now();
    return () => (performance.now() - t0) / 1000;
  };

  let ds: LanceDataset | null = await openLanceDataset(o.embeddings, { column: o.tensor });
  try {
    let done = clock();
    const rows = await splitRows(ds, o, batch, log);
    timings.finiteScan = done();
    // the index: used as it is, built when missing (or asked to rebuild)
    let indexType = await ds.index();
    let built: Record<string, unknown> | null = null;
    if (!indexType || ann.rebuild) {
      const kind = ann.index ?? 'ivf-pq';
      const partitions = ann.partitions ?? Math.max(1, Math.round(Math.sqrt(ds.n)));
      const subVectors = ann.subVectors ?? Math.max(1, Math.round(ds.d / 16));
      if (kind === 'ivf-pq' && ds.d % subVectors)
        throw new CladeError(`--ann-sub-vectors must divide the dimension ${ds.d}, got ${subVectors}`, {
          option: '--ann-sub-vectors',
        });
      log(`building a ${kind} index on ${o.embeddings} (${partitions} partitions)…`);
      const ids = ds.ids;
      ds.close();
      ds = null;
      done = clock();
      await buildLanceIndex(o.embeddings, { kind, partitions, subVectors });
      timings.index = done();
      built = { kind, partitions, ...(kind === 'ivf-pq' ? { subVectors } : {}), seconds: timings.index };
      log(`index built in ${timings.index.toFixed(1)} s`);
      ds = await openLanceDataset(o.embeddings, { column: o.tensor, ids });
      indexType = await ds.index();
    }
    return await analyzeStream(o, ds, which, S, {
      log,
      seed,
      batch,
      search,
      check: ann.check ?? 500,
      timings,
      indexParams: { type: indexType, built },
      rows,
    });
  } finally {
    ds?.close();
  }
}

interface StreamContext {
  readonly log: (l: string) => void;
  readonly seed: number;
  readonly batch: number;
  readonly search: { nprobes: number; refineFactor: number };
  readonly check: number;
  readonly timings: Record<string, number>;
  readonly indexParams: Record<string, unknown>;
  readonly rows: Awaited<ReturnType<typeof splitRows>>;
}

async function analyzeStream(
  o: AnalyzeOptions,
  ds: LanceDataset,
  which: readonly ('knn' | 'cluster')[],
  S: ReturnType<typeof resolveSettings>,
  c: StreamContext,
): Promise<{ results: CladeResult[]; files: string[] }> {
  const { log, timings } = c;
  const time = () => {
    const t0 = performance.now();
    return () => (performance.now() - t0) / 1000;
  };
  const { dropped, keptRows, split } = c.rows;
  let done = time();
  // compact numbering: the rows of the split (train + test) in file order
  const fileOfKept = keptRows;
  const members = [...split.trainIdx, ...split.testIdx].sort((a, b) => fileOfKept[a] - fileOfKept[b]);
  const N = members.length;
  const cOfFile = new Int32Array(ds.n).fill(-1);
  const fileOfC = new Int32Array(N);
  const label = new Int32Array(N);
  const isTest = new Uint8Array(N);
  const testSet = new Set(split.testIdx);
  members.forEach((kept, ci) => {
    fileOfC[ci] = fileOfKept[kept];
    cOfFile[fileOfKept[kept]] = ci;
    label[ci] = split.labels[kept];
    isTest[ci] = testSet.has(kept) ? 1 : 0;
  });
  const C = split.classes.length;
  const nTest = split.testIdx.length;
  const nTrain = split.trainIdx.length;
  log(
    `${ds.n} rows (d = ${ds.d})${dropped.count ? `, ${dropped.count} dropped` : ''}, ${C} classes in '${o.labelCol}'; train ${nTrain}, test ${nTest}; index ${c.indexParams.type}, nprobes ${c.search.nprobes}, refine ${c.search.refineFactor}`,
  );

  // how many neighbours each query needs
  const doKnn = which.includes('knn');
  const doCluster = which.includes('cluster');
  const psGiven = o.settings?.homogeneity?.ps !== undefined;
  const base = Math.max(doKnn ? Math.max(S.knn.k, S.knn.majorityK) : 1, doCluster ? S.rld.k : 1);
  const K = Math.min(N - 1, psGiven && doCluster ? Math.max(base, ...S.homogeneity.ps) : base);
  const ps = doCluster ? S.homogeneity.ps.filter((p) => p <= K) : [];
  const psSkipped = doCluster ? S.homogeneity.ps.filter((p) => p > K) : [];
  const rldK = Math.min(S.rld.k, K);
  const kTrain = Math.min(S.knn.k, nTrain);
  const majorityK = Math.min(S.knn.majorityK, kTrain);
  // test queries also need kTrain train rows: with a train fraction f, L rows hold f·L ± √(L f (1 − f)) of them;
  // L is the smallest with f·L − 4 standard deviations ≥ kTrain
  const trainLimit = K + 1;
  const f = nTrain / N;
  const sd4 = 4 * Math.sqrt(f * (1 - f));
  const L = Math.ceil(((sd4 + Math.sqrt(sd4 * sd4 + 4 * f * kTrain)) / (2 * f)) ** 2);
  const testLimit = doKnn ? Math.max(K, L) + 1 : K + 1;

  /** Neighbour lists of compact rows `q` from one search: self and rows outside the split dropped. */
  const lists = async (q: Int32Array, z: Embeddings, limit: number) => {
    const { row, distance } = await ds.search(z, limit, c.search);
    const B = q.length;
    const all = new Int32Array(B * K).fill(-1);
    const allD = new Float32Array(B * K);
    const tr = new Int32Array(B * kTrain).fill(-1);
    const trS = new Float32Array(B * kTrain).fill(-Infinity);
    let short = 0;
    for (let b = 0; b < B; b++) {
      let na = 0;
      let nt = 0;
      for (let r = 0; r < limit; r++) {
        const f = row[b * limit + r];
        if (f < 0) break;
        const j = cOfFile[f];
        if (j < 0 || j === q[b]) continue;
        const dist = distance[b * limit + r];
        if (na < K) {
          all[b * K + na] = j;
          allD[b * K + na++] = dist;
        }
        if (isTest[q[b]] && !isTest[j] && nt < kTrain) {
          tr[b * kTrain + nt] = j;
          trS[b * kTrain + nt++] = 1 - dist;
        }
      }
      if (na < K || (isTest[q[b]] && doKnn && nt < kTrain)) short++;
    }
    return { all, allD, tr, trS, short };
  };

  // the sparse RLD's pool: searched first (every row's tail needs the pool rows' row sums)
  let rld: SparseRld | null = null;
  done = time();
  if (doCluster) {
    const poolC = rldPoolRows(N, S.rld.samples, c.seed);
    const poolZ = l2Normalize(await ds.take(Array.from(poolC, (ci) => fileOfC[ci])));
    rld = new SparseRld(label, S.rld.temperatures, rldK, { rows: poolC, z: poolZ });
    const l = await lists(poolC, poolZ, trainLimit);
    rld.addRows(poolC, poolZ, l.all, scaled(l.allD, ds.d), { pool: true });
  }
  // the recall check's queries: their ANN lists are kept as the pass meets them
  const checkC = new Rng(c.seed + 1).permutation(N).subarray(0, Math.min(c.check, N)).sort();
  const checkAt = new Map(Array.from(checkC, (ci, s) => [ci, s]));
  const annAll = new Int32Array(checkC.length * K).fill(-1);
  const annTrain = new Int32Array(checkC.length * kTrain).fill(-1);

  // pass 2: every row of the split is a query (the test rows only when the cluster analysis is not asked for)
  const ch = doCluster ? new CalinskiHarabaszSums(C, ds.d) : null;
  const predictions = new Int32Array(nTest);
  const testLabels = new Int32Array(nTest);
  let at = 0;
  let hit1 = 0;
  let hit5 = 0;
  let majority1 = 0;
  const homSums = new Float64Array(ps.length);
  let short = 0;
  let seen = 0;
  let nextLog = 0;
  const elapsed = time();
  for await (const { first, x } of ds.scan(c.batch)) {
    const local: number[] = [];
    for (let i = 0; i < x.n; i++) if (cOfFile[first + i] >= 0) local.push(i);
    if (!local.length) continue;
    const raw = takeRows(x, local);
    const q = Int32Array.from(local, (i) => cOfFile[first + i]);
    const qLabels = Int32Array.from(q, (ci) => label[ci]);
    ch?.add(raw, qLabels);
    const z = l2Normalize(raw);
    // train rows are queries of the cluster analysis only (kNN queries the test rows)
    for (const test of doCluster ? [false, true] : [true]) {
      const sel = Array.from(q.keys()).filter((b) => Boolean(isTest[q[b]]) === test);
      if (!sel.length) continue;
      const qs = Int32Array.from(sel, (b) => q[b]);
      const zs = takeRows(z, sel);
      const l = await lists(qs, zs, test ? testLimit : trainLimit);
      short += l.short;
      const ys = Int32Array.from(qs, (ci) => label[ci]);
      if (doKnn && test) {
        const w = knnVote({ k: kTrain, index: l.tr, score: l.trS }, label, ys, {
          temperature: S.knn.temperature,
          classes: C,
        });
        const m = knnVote(
          {
            k: majorityK,
            index: headColumns(l.tr, kTrain, majorityK),
            score: headColumns(l.trS, kTrain, majorityK),
          },
          label,
          ys,
          { vote: 'majority', classes: C },
        );
        predictions.set(w.predictions, at);
        testLabels.set(ys, at);
        at += qs.length;
        hit1 += w.top1 * qs.length;
        hit5 += w.top5 * qs.length;
        majority1 += m.top1 * qs.length;
      }
      if (doCluster) {
        if (ps.length) {
          const h = homogeneityFromTopK({ k: K, index: l.all, score: l.allD }, label, ps, ys);
          h.forEach((v, s) => (homSums[s] += v.value * qs.length));
        }
        rld!.addRows(qs, zs, l.all, scaled(l.allD, ds.d));
      }
      qs.forEach((ci, b) => {
        const s = checkAt.get(ci);
        if (s === undefined) return;
        annAll.set(l.all.subarray(b * K, (b + 1) * K), s * K);
        annTrain.set(l.tr.subarray(b * kTrain, (b + 1) * kTrain), s * kTrain);
      });
    }
    seen += q.length;
    if (seen >= nextLog) {
      log(`searched ${seen} of ${N} rows (${elapsed().toFixed(0)} s)`);
      nextLog += Math.max(1, Math.round(N / 10));
    }
  }
  timings.search = done();
  done = time();
  const rldValues = rld ? rld.result() : [];
  timings.rld = done();

  // the recall check: exact top-K (all rows) and top-kTrain (train rows, for test queries) of the sampled queries
  let check: Record<string, unknown> | null = null;
  if (checkC.length) {
    done = time();
    const exact = await exactLists(ds, c.batch, checkC, fileOfC, cOfFile, isTest, K, kTrain);
    const recallAt = (got: Int32Array, want: Int32Array, k: number, width: number, rows: number[]) => {
      let hit = 0;
      let total = 0;
      for (const s of rows) {
        const w = new Set(Array.from(want.subarray(s * width, s * width + k)).filter((j) => j >= 0));
        for (let r = 0; r < k; r++) if (w.has(got[s * width + r])) hit++;
        total += w.size;
      }
      return total ? hit / total : NaN;
    };
    const testRows = Array.from(checkC.keys()).filter((s) => isTest[checkC[s]]);
    const everyRow = doCluster ? Array.from(checkC.keys()) : testRows;
    const ks = [...new Set([1, 10, rldK, K].filter((k) => k <= K))].sort((a, b) => a - b);
    check = {
      queries: checkC.length,
      recallAt: Object.fromEntries(ks.map((k) => [k, recallAt(annAll, exact.all, k, K, everyRow)])),
      ...(doKnn
        ? {
            testQueries: testRows.length,
            trainRecallAt: { [kTrain]: recallAt(annTrain, exact.train, kTrain, kTrain, testRows) },
          }
        : {}),
      seconds: 0,
    };
    timings.check = check.seconds = done();
    log(`recall check on ${checkC.length} queries: ${JSON.stringify(check)}`);
  }

  const annParams = {
    index: c.indexParams,
    nprobes: c.search.nprobes,
    refineFactor: c.search.refineFactor,
    neighbours: K,
    testQueryLimit: testLimit,
    shortQueries: short,
    batch: c.batch,
    check,
  };
  const outcomes: AnalysisOutcome[] = [];
  if (doKnn)
    outcomes.push({
      kind: 'knn',
      name: 'kNN',
      params: {
        ...S.knn,
        k: kTrain,
        majorityK,
        backend: 'lance-ann',
        split: 'train → test',
        ann: annParams,
      },
      timings,
      metrics: {
        top1: hit1 / nTest,
        top5: hit5 / nTest,
        meanPerClassRecall: meanPerClassRecall(predictions, testLabels),
        majorityTop1: majority1 / nTest,
        ...(check?.trainRecallAt
          ? { annRecall: (check.trainRecallAt as Record<string, number>)[kTrain] }
          : {}),
      },
    });
  if (doCluster) {
    const temperatures = [...S.rld.temperatures];
    const curve = ps.map((p, s) => ({ p, value: homSums[s] / N }));
    outcomes.push({
      kind: 'cluster-structure',
      name: 'RLD, CH, class homogeneity',
      params: {
        temperatures,
        normalize: true,
        rldMethod: 'sparse',
        rldSparse: { k: rldK, samples: rld!.m, seed: c.seed, meanDistance: rld!.mu },
        ps,
        ...(psSkipped.length ? { psSkipped } : {}),
        backend: 'lance-ann',
        split: 'all rows (train + test)',
        ann: annParams,
      },
      timings,
      metrics: {
        calinskiHarabasz: ch!.value(),
        ...Object.fromEntries(temperatures.map((T, i) => [`rld_T${T}`, rldValues[i]])),
        ...Object.fromEntries(curve.map((h) => [`homogeneity_p${h.p}`, h.value])),
        ...(check ? { annRecall: (check.recallAt as Record<string, number>)[rldK] } : {}),
      },
      series: {
        rld: { T: temperatures, rld: rldValues },
        homogeneity: { p: curve.map((h) => h.p), fraction: curve.map((h) => h.value) },
      },
    });
  }
  return writeAnalyzeResults(
    o,
    outcomes.map((r) => makeResult(r)),
    { singletons: split.singletons, dropped },
  );
}

/** The first `k` columns of a row-major `[rows, width]` array. */
function headColumns<T extends Int32Array | Float32Array>(a: T, width: number, k: number): T {
  const rows = a.length / width;
  const out = (a instanceof Int32Array ? new Int32Array(rows * k) : new Float32Array(rows * k)) as T;
  for (let b = 0; b < rows; b++) out.set(a.subarray(b * width, b * width + k), b * k);
  return out;
}

/** Cosine distances `1 − cos` of unit rows of width `d` as the sparse RLD's `d_ij`. */
const scaled = (cosDist: Float32Array, d: number) =>
  Float32Array.from(cosDist, (v) => scaledDistance(1 - v, d));

/**
 * `clade analyze DATA.lance --ann`: kNN classification and the cluster analysis (sparse RLD, class homogeneity,
 * Calinski–Harabasz) streamed from a Lance dataset, neighbours from an ANN index: clade's IVF-Flat on the engine
 * (`--ann-backend engine`, the default: analysis/ivf.ts, rows searched list by list) or the dataset's own LanceDB
 * index (`--ann-backend lance`, rows searched batch by batch). What stays in memory is O(N) labels and ids, the
 * sparse RLD's `N · k` neighbour lists and one group of rows with its candidates — never the `N × D` matrix or
 * anything `N × N`.
 */
import { extname } from 'node:path';
import { CalinskiHarabaszSums } from '../analysis/calinski-harabasz.ts';
import { homogeneityFromTopK } from '../analysis/class-homogeneity.ts';
import { knnVote } from '../analysis/knn.ts';
import { meanPerClassRecall } from '../analysis/labels.ts';
import { rldPoolRows, scaledDistance, SparseRld } from '../analysis/rld-sparse.ts';
import { resolveSettings, type AnalysisOutcome } from '../analysis/suite.ts';
import { l2Normalize, takeRows, type Embeddings } from '../io/embeddings.ts';
import { IvfIndex } from '../analysis/ivf.ts';
import { ivfSource, lanceSource, type NeighbourSource } from './ann-sources.ts';
import { buildLanceIndex, openLanceDataset, type LanceDataset } from '../io/lance.ts';
import { makeResult, type CladeResult } from '../report/index.ts';
import { CladeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { writeAnalyzeResults, type AnalyzeOptions } from './analyze.ts';
import { exactLists, recallAt } from './ann-exact-check.ts';
import { splitRows } from './ann-rows.ts';

/** `--ann` settings (recorded in both results' `params.ann`). */
export interface AnnOptions {
  /** `engine` (default): clade's IVF-Flat, built for this run; `lance`: the dataset's LanceDB index. */
  readonly backend?: 'engine' | 'lance';
  /** `lance`: index built when the dataset has none (or `rebuild`): `ivf-pq` (default) or `ivf-hnsw-sq`. */
  readonly index?: 'ivf-pq' | 'ivf-hnsw-sq';
  /** IVF lists (engine) or partitions of a new LanceDB index (default √N). */
  readonly partitions?: number;
  /** PQ sub-vectors of a new IVF-PQ index (default D / 16). */
  readonly subVectors?: number;
  /** Replace an existing index. */
  readonly rebuild?: boolean;
  /** IVF lists searched per query (default 20). */
  readonly nprobes?: number;
  /** `lance`: re-rank `refineFactor · limit` candidates exactly (default 2; distances are then exact). */
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
  const backend = ann.backend ?? 'engine';
  if (backend === 'engine') {
    const lanceOnly = {
      index: '--ann-index',
      subVectors: '--ann-sub-vectors',
      rebuild: '--ann-rebuild',
      refineFactor: '--refine-factor',
    } as const;
    for (const [k, opt] of Object.entries(lanceOnly))
      if (ann[k as keyof typeof lanceOnly])
        throw new CladeError(`${opt} sets up a LanceDB index: add --ann-backend lance`, { option: opt });
  }
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
    const ctx = { log, seed, batch, check: ann.check ?? 500, timings, rows };
    if (backend === 'engine') {
      const open = ds;
      const t = clock();
      const ivf = await IvfIndex.build(
        (b) => open.scan(b),
        splitFileRows(rows),
        open.d,
        { lists: ann.partitions, nprobe: nprobes, seed, batch },
        log,
      );
      timings.index = t();
      const source = ivfSource(ivf, { ...ivf.params, seconds: timings.index });
      try {
        return await analyzeStream(o, ds, which, S, { ...ctx, source });
      } finally {
        source.close();
      }
    }
    // the LanceDB index: used as it is, built when missing (or asked to rebuild)
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
    const open = ds;
    const search = { nprobes, refineFactor: ann.refineFactor ?? 2 };
    const source = lanceSource(open, batch, search, { type: indexType, built, ...search });
    return await analyzeStream(o, ds, which, S, { ...ctx, source });
  } finally {
    ds?.close();
  }
}

/** Dataset rows of the split (train + test), sorted. */
function splitFileRows({ keptRows, split }: StreamContext['rows']): Int32Array {
  return Int32Array.from([...split.trainIdx, ...split.testIdx], (k) => keptRows[k]).sort();
}

interface StreamContext {
  readonly log: (l: string) => void;
  readonly seed: number;
  readonly batch: number;
  readonly check: number;
  readonly timings: Record<string, number>;
  readonly rows: Awaited<ReturnType<typeof splitRows>>;
  readonly source: NeighbourSource;
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
    `${ds.n} rows (d = ${ds.d})${dropped.count ? `, ${dropped.count} dropped` : ''}, ${C} classes in '${o.labelCol}'; train ${nTrain}, test ${nTest}`,
  );
  const { source } = c;
  log(`neighbours from ${source.backend}: ${JSON.stringify(source.index)}`);

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
    const { row, distance } = await source.search(z, limit);
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
  for await (const { rows: groupRows, raw, z } of source.groups((r) => cOfFile[r] >= 0)) {
    const q = Int32Array.from(groupRows, (r) => cOfFile[r]);
    const qLabels = Int32Array.from(q, (ci) => label[ci]);
    ch?.add(raw, qLabels);
    // one search per group: every row when the cluster analysis runs (train rows are its queries only), else the
    // test rows; test rows search further (testLimit) for their kTrain train neighbours
    const sel = Array.from(q.keys()).filter((b) => doCluster || isTest[q[b]]);
    if (sel.length) {
      const qs = Int32Array.from(sel, (b) => q[b]);
      const zs = takeRows(z, sel);
      const l = await lists(qs, zs, qs.some((ci) => isTest[ci]) ? testLimit : trainLimit);
      short += l.short;
      const ys = Int32Array.from(qs, (ci) => label[ci]);
      const tb = Array.from(qs.keys()).filter((b) => isTest[qs[b]]);
      if (doKnn && tb.length) {
        const tr = pickRows(l.tr, kTrain, tb);
        const trS = pickRows(l.trS, kTrain, tb);
        const yt = Int32Array.from(tb, (b) => ys[b]);
        const w = knnVote({ k: kTrain, index: tr, score: trS }, label, yt, {
          temperature: S.knn.temperature,
          classes: C,
        });
        const m = knnVote(
          {
            k: majorityK,
            index: headColumns(tr, kTrain, majorityK),
            score: headColumns(trS, kTrain, majorityK),
          },
          label,
          yt,
          { vote: 'majority', classes: C },
        );
        predictions.set(w.predictions, at);
        testLabels.set(yt, at);
        at += tb.length;
        hit1 += w.top1 * tb.length;
        hit5 += w.top5 * tb.length;
        majority1 += m.top1 * tb.length;
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
      log(`searched ${seen} of ${N} rows (${elapsed().toFixed(0)} s; ${memoryLine()})`);
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
    backend: source.backend,
    index: source.index,
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
        backend: source.backend,
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
        backend: source.backend,
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

/** Resident memory, the JS heap and the buffers (typed arrays) outside it, in GiB: the progress line's tail. */
function memoryLine(): string {
  const m = process.memoryUsage();
  const g = (b: number) => (b / 2 ** 30).toFixed(2);
  return `RSS ${g(m.rss)} GiB: JS heap ${g(m.heapUsed)}, buffers ${g(m.external)}`;
}

/** Rows `rows` of a row-major `[·, width]` array. */
function pickRows<T extends Int32Array | Float32Array>(a: T, width: number, rows: readonly number[]): T {
  const out = (
    a instanceof Int32Array ? new Int32Array(rows.length * width) : new Float32Array(rows.length * width)
  ) as T;
  rows.forEach((r, i) => out.set(a.subarray(r * width, (r + 1) * width), i * width));
  return out;
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

/**
 * An IVF-Flat index built in-process on the engine, for neighbour searches over more rows than fit in memory
 * (`clade analyze DATA.lance --ann`, the default `--ann-backend engine`):
 *
 * 1. spherical k-means centroids (`lists` of them, cosine) trained on a seeded sample of `trainPerList · lists`
 *    rows, assignments by `similarityTopK` on ONNX Runtime;
 * 2. every row assigned to its nearest centroid and written, L2-normalised, to a temporary file grouped by list
 *    (the `N × D` rows live there, not in memory; its norms and row numbers are O(N));
 * 3. a search finds each query's `nprobe` nearest centroids, groups the queries by the nearest one and compares
 *    each group exactly (one GEMM + TopK per chunk of queries, on ORT) with the rows of the lists its queries probe —
 *    one candidate set for the whole group, so the work is a few large GEMMs rather than one small search per query.
 *
 * The group's candidate set is capped at the `probeCap · nprobe` lists most probed by its queries: that cap is the
 * approximation besides IVF's own (a query's rarely-probed lists may be left out). `clade analyze --ann-check`
 * measures the recall that results.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { l2Normalize, takeRows, type Embeddings } from '../io/embeddings.ts';
import { Rng } from '../util/rng.ts';
import { topKGraph } from './top-k-ort.ts';
import { similarityTopK } from './top-k.ts';

export interface IvfOptions {
  /** Inverted lists (k-means centroids); default round(√N). */
  readonly lists?: number;
  /** Lists each query probes: its nearest centroids' (default 20, at most `lists`). */
  readonly nprobe?: number;
  /**
   * A query group searches the lists its queries probe, the most-probed first, at most `probeCap · nprobe` of them
   * (default 4).
   */
  readonly probeCap?: number;
  /** Candidate rows per ORT run (default 16384): more are searched in blocks whose top lists are merged. */
  readonly block?: number;
  /** k-means sample rows per list (default 64). */
  readonly trainPerList?: number;
  /** k-means iterations (default 10). */
  readonly iterations?: number;
  readonly seed?: number;
  /** Rows per scanned batch (default 4096). */
  readonly batch?: number;
  /** Where the temporary list file goes (default the OS temporary directory). */
  readonly tmpDir?: string;
}

/** The dataset as batches in row order (a Lance dataset's `scan`). */
export type RowScan = (batch: number) => AsyncIterable<{ first: number; x: Embeddings }>;

/** Neighbours of a search: dataset rows `[Q, limit]` best first (-1 where fewer came back), cosine distances. */
export interface IvfHits {
  readonly row: Int32Array;
  readonly distance: Float32Array;
}

const PAD = -4; // added to padded key columns: below any cosine similarity

/**
 * @example
 * const ivf = await IvfIndex.build((b) => ds.scan(b), rows, ds.d, { nprobe: 20 });
 * try {
 *   for await (const g of ivf.lists()) { const hits = await ivf.search(g.z, 11); ... }
 * } finally { ivf.close(); }
 */
export class IvfIndex {
  private cached: { key: string; keys: Embeddings; pos: Int32Array } | null = null;
  private buf = new Float32Array(0);

  private constructor(
    readonly d: number,
    /** [L, D] unit centroids */
    readonly centroids: Embeddings,
    /** [L + 1] start of each list in index order */
    readonly listStart: Int32Array,
    /** [M] dataset row at each index position */
    readonly rowAt: Int32Array,
    /** [M] L2 norm of the row at each index position */
    readonly normAt: Float32Array,
    readonly nprobe: number,
    readonly params: Record<string, number>,
    private readonly fd: number,
    private readonly dir: string,
  ) {}

  /** Index `rows` (sorted dataset row numbers; other rows are skipped) of a dataset read by `scan`. */
  static async build(
    scan: RowScan,
    rows: Int32Array,
    d: number,
    o: IvfOptions = {},
    log: (l: string) => void = () => {},
  ): Promise<IvfIndex> {
    const M = rows.length;
    if (!M) throw new Error('IvfIndex.build: no rows to index');
    const L = Math.max(1, Math.min(M, o.lists ?? Math.round(Math.sqrt(M))));
    const nprobe = Math.max(1, Math.min(L, o.nprobe ?? 20));
    const iterations = o.iterations ?? 10;
    const batch = o.batch ?? 4096;
    const seed = o.seed ?? 0;
    const rng = new Rng(seed);
    const posOfRow = new Map<number, number>();
    rows.forEach((r, i) => posOfRow.set(r, i));

    // 1. the k-means sample: seeded rows, collected in one scan
    const S = Math.min(M, L * (o.trainPerList ?? 64));
    const slotOf = new Map<number, number>();
    rng
      .permutation(M)
      .subarray(0, S)
      .forEach((i, s) => slotOf.set(rows[i], s));
    const sample = new Float32Array(S * d);
    for await (const { first, x } of scan(batch))
      for (let i = 0; i < x.n; i++) {
        const s = slotOf.get(first + i);
        if (s !== undefined) sample.set(x.data.subarray(i * d, (i + 1) * d), s * d);
      }
    const z = l2Normalize({ data: sample, n: S, d });
    const centroids = await sphericalKMeans(z, L, iterations, rng);
    log(`IVF: ${L} lists trained on ${S} rows (${iterations} iterations)`);

    // 2. assign every row, then write the unit rows grouped by list
    const listOfPos = new Int32Array(M);
    const count = new Int32Array(L);
    for await (const { first, x } of scan(batch)) {
      const { pos, z } = keptUnit(first, x, posOfRow);
      if (!pos.length) continue;
      const home = (await similarityTopK(z, centroids, 1)).index;
      pos.forEach((p, i) => {
        listOfPos[p] = home[i];
        count[home[i]]++;
      });
    }
    const listStart = new Int32Array(L + 1);
    for (let l = 0; l < L; l++) listStart[l + 1] = listStart[l] + count[l];
    const dir = mkdtempSync(join(o.tmpDir ?? tmpdir(), 'clade-ivf-'));
    const fd = openSync(join(dir, 'lists.f32'), 'w+');
    try {
      const cursor = listStart.slice(0, L);
      const rowAt = new Int32Array(M);
      const normAt = new Float32Array(M);
      for await (const { first, x } of scan(batch)) {
        const { pos, z, norm } = keptUnit(first, x, posOfRow);
        pos.forEach((p, i) => {
          const at = cursor[listOfPos[p]]++;
          rowAt[at] = rows[p];
          normAt[at] = norm[i];
          writeSync(fd, z.data, i * d * 4, d * 4, at * d * 4);
        });
      }
      const sizes = Array.from(count).sort((a, b) => a - b);
      const params = {
        lists: L,
        nprobe,
        probeCap: o.probeCap ?? 4,
        block: o.block ?? 16384,
        trainRows: S,
        iterations,
        seed,
        listSizeMin: sizes[0],
        listSizeMedian: sizes[Math.floor(L / 2)],
        listSizeMax: sizes[L - 1],
      };
      log(
        `IVF: ${M} rows in ${L} lists (sizes ${sizes[0]}…${sizes[L - 1]}, median ${params.listSizeMedian})`,
      );
      return new IvfIndex(d, centroids, listStart, rowAt, normAt, nprobe, params, fd, dir);
    } catch (e) {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** The indexed rows list by list: dataset rows, unit rows `[n, D]` and their norms (raw = z · norm). */
  async *lists(): AsyncGenerator<{ list: number; rows: Int32Array; z: Embeddings; norm: Float32Array }> {
    for (let l = 0; l < this.listStart.length - 1; l++) {
      const a = this.listStart[l];
      const b = this.listStart[l + 1];
      if (a === b) continue;
      const z = this.read([l], false).keys;
      yield { list: l, rows: this.rowAt.slice(a, b), z, norm: this.normAt.slice(a, b) };
    }
  }

  /** The `limit` nearest indexed rows (cosine) of unit queries `z` `[Q, D]`. */
  async search(z: Embeddings, limit: number): Promise<IvfHits> {
    const row = new Int32Array(z.n * limit).fill(-1);
    const distance = new Float32Array(z.n * limit).fill(NaN);
    const P = this.nprobe;
    const near = await similarityTopK(z, this.centroids, P);
    const groups = new Map<number, number[]>();
    for (let q = 0; q < z.n; q++) {
      const l = near.index[q * near.k];
      const g = groups.get(l);
      if (g) g.push(q);
      else groups.set(l, [q]);
    }
    for (const [l, qs] of groups) {
      // the lists the group's queries probe, most-probed first, at most probeCap · nprobe of them
      const votes = new Map<number, number>();
      for (const q of qs)
        for (let j = 0; j < near.k; j++) {
          const m = near.index[q * near.k + j];
          votes.set(m, (votes.get(m) ?? 0) + 1);
        }
      const lists = [...votes]
        .sort((a, b) => b[1] - a[1] || a[0] - b[0])
        .slice(0, this.params.probeCap * P)
        .map(([m]) => m)
        .sort((a, b) => a - b);
      const { keys, pos } = this.candidates(lists);
      const hits = await maskedTopK(takeRows(z, qs), keys, pos.length, limit, this.params.block);
      qs.forEach((q, i) => {
        for (let j = 0; j < hits.k; j++) {
          const c = hits.index[i * hits.k + j];
          if (c < 0 || c >= pos.length) break; // padding: fewer candidates than `limit`
          row[q * limit + j] = this.rowAt[pos[c]];
          distance[q * limit + j] = 1 - hits.score[i * hits.k + j];
        }
      });
    }
    return { row, distance };
  }

  /** Remove the temporary list file. */
  close(): void {
    closeSync(this.fd);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The rows of `lists` (the last set read is kept: consecutive searches of one group often share it). */
  private candidates(lists: readonly number[]): { keys: Embeddings; pos: Int32Array } {
    const key = lists.join(',');
    if (this.cached?.key !== key) this.cached = { key, ...this.read(lists, true) };
    return this.cached;
  }

  /** Unit rows of `lists`, concatenated, with their index positions. */
  private read(lists: readonly number[], candidates: boolean): { keys: Embeddings; pos: Int32Array } {
    const n = lists.reduce((s, l) => s + this.listStart[l + 1] - this.listStart[l], 0);
    let data: Float32Array;
    if (candidates) {
      // one buffer for the (cached) candidate set, grown as needed and re-used: a fresh 100 MB array per group
      // leaves gigabytes for the GC to find. Rows past n are zeros: maskedTopK's padding.
      const size = keyRows(n, this.params.block) * this.d;
      if (this.buf.length < size) this.buf = new Float32Array(size);
      data = this.buf.subarray(0, size);
      data.fill(0, n * this.d);
    } else data = new Float32Array(n * this.d);
    const pos = new Int32Array(n);
    let at = 0;
    for (const l of lists) {
      const a = this.listStart[l];
      const b = this.listStart[l + 1];
      readSync(this.fd, data, at * this.d * 4, (b - a) * this.d * 4, a * this.d * 4);
      for (let p = a; p < b; p++) pos[at++] = p;
    }
    return { keys: { data, n, d: this.d }, pos };
  }
}

/** The rows of a scanned batch that are indexed: their index positions, unit rows and norms. */
function keptUnit(first: number, x: Embeddings, posOfRow: ReadonlyMap<number, number>) {
  const local: number[] = [];
  const pos: number[] = [];
  for (let i = 0; i < x.n; i++) {
    const p = posOfRow.get(first + i);
    if (p !== undefined) {
      local.push(i);
      pos.push(p);
    }
  }
  // one pass: each row's norm, then the row scaled by it in place (all-zero rows stay zero, as in l2Normalize)
  const z = takeRows(x, local);
  const norm = new Float32Array(z.n);
  for (let i = 0; i < z.n; i++) {
    const row = z.data.subarray(i * z.d, (i + 1) * z.d);
    let s = 0;
    for (let j = 0; j < z.d; j++) s += row[j] * row[j];
    norm[i] = Math.sqrt(s);
    if (s > 0) for (let j = 0; j < z.d; j++) row[j] /= norm[i];
  }
  return { pos, z, norm };
}

/** Spherical k-means (cosine): `L` unit centroids `[L, D]` of unit rows `z`, seeded from distinct rows. */
export async function sphericalKMeans(
  z: Embeddings,
  L: number,
  iterations: number,
  rng: Rng,
): Promise<Embeddings> {
  const { d } = z;
  const start = rng.permutation(z.n).subarray(0, L);
  let c: Embeddings = takeRows(z, start);
  for (let it = 0; it < iterations; it++) {
    const nearest = (await similarityTopK(z, c, 1)).index;
    const sum = new Float32Array(L * d);
    const size = new Int32Array(L);
    for (let i = 0; i < z.n; i++) {
      const l = nearest[i];
      size[l]++;
      for (let j = 0; j < d; j++) sum[l * d + j] += z.data[i * d + j];
    }
    // an empty list takes a random row, so every list stays in use
    for (let l = 0; l < L; l++) {
      if (size[l]) continue;
      const r = rng.int(z.n);
      sum.set(z.data.subarray(r * d, (r + 1) * d), l * d);
    }
    c = l2Normalize({ data: sum, n: L, d });
  }
  return c;
}

/**
 * Rows the key buffer of `n` candidates holds: the power of two at or above `n` (at least 16) while that fits one
 * block, else whole blocks. Every shape is a session with its own ORT arena (kept for the process), so the shapes
 * must be few: at most log2(block) − 3 sizes, not one per candidate count.
 */
const keyRows = (n: number, block: number) =>
  n > block ? Math.ceil(n / block) * block : Math.min(block, 2 ** Math.max(4, Math.ceil(Math.log2(n))));

/**
 * Exact top-`limit` of unit queries `q` `[Q, D]` among the first `n` rows of `keys`: chunks of 16 or 256 queries,
 * each against the keys in blocks (one block up to `maxBlock` rows, padded as `keyRows` says; more in whole blocks whose
 * top lists are merged here), so a handful of graph shapes — and ORT arenas — serve every list.
 */
async function maskedTopK(
  q: Embeddings,
  keys: Embeddings,
  n: number,
  limit: number,
  maxBlock: number,
): Promise<{ k: number; index: Int32Array; score: Float32Array }> {
  const d = q.d;
  const rows = Math.max(limit, keyRows(n, maxBlock));
  let x = keys.data;
  if (x.length < rows * d) {
    x = new Float32Array(rows * d);
    x.set(keys.data.subarray(0, n * d));
  }
  const block = Math.min(rows, maxBlock);
  const blocks = rows / block;
  const k = Math.min(limit, block);
  const chunk = q.n <= 16 ? 16 : 256;
  const run = await topKGraph(chunk, block, d, k, { masked: true });
  const pads = Array.from({ length: blocks }, (_, b) => {
    const pad = new Float32Array(block);
    pad.fill(PAD, Math.max(0, Math.min(block, n - b * block)));
    return pad;
  });
  const index = new Int32Array(q.n * limit).fill(-1);
  const score = new Float32Array(q.n * limit).fill(-Infinity);
  const qb = new Float32Array(chunk * d);
  const vals = new Float32Array(chunk * k);
  const idx = new BigInt64Array(chunk * k);
  const mergedI = new Int32Array(limit);
  const mergedS = new Float32Array(limit);
  for (let s = 0; s < q.n; s += chunk) {
    const r = Math.min(chunk, q.n - s);
    qb.set(q.data.subarray(s * d, (s + r) * d));
    qb.fill(0, r * d);
    for (let b = 0; b < blocks; b++) {
      const xb = x.subarray(b * block * d, (b + 1) * block * d);
      await run.run({ q: qb, x: xb, pad: pads[b] }, { values: vals, indices: idx });
      for (let i = 0; i < r; i++) {
        // merge this block's sorted list into the query's sorted list so far
        const at = (s + i) * limit;
        let u = 0;
        let v = 0;
        for (let o = 0; o < limit; o++) {
          const fromBlock = v < k && (u >= limit || vals[i * k + v] > score[at + u]);
          if (fromBlock) {
            mergedS[o] = vals[i * k + v];
            mergedI[o] = b * block + Number(idx[i * k + v++]);
          } else {
            mergedS[o] = score[at + u];
            mergedI[o] = index[at + u++];
          }
        }
        score.set(mergedS, at);
        index.set(mergedI, at);
      }
    }
  }
  return { k: limit, index, score };
}

/**
 * Embeddings in a Lance dataset (a directory `NAME.lance`, through `@lancedb/lancedb` — embedded, no server; the
 * directory can be copied to object storage and shared): columns `id` (Utf8), `label` (Int32, -1 unlabelled),
 * `label_name` (Utf8) and `embedding` (FixedSizeList<Float32>[D]); rows in the order written.
 *
 * Written atomically: the dataset is built in a sibling temporary directory and renamed into place (the previous
 * version moved aside first, as `writeDirAtomic` does). kNN can use a Lance ANN index (IVF-PQ or IVF-HNSW-SQ,
 * cosine) on the `embedding` column: `buildLanceIndex` + `lanceKnn`.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { Connection, Table as LanceTable } from '@lancedb/lancedb';
import { CladeError } from '../util/errors.ts';
import { faultPause } from '../util/fault-pause.ts';
import { recoverDir } from './commit-dir.ts';
import { type Embeddings, assertFinite, makeEmbeddings } from './embeddings.ts';

/** The rows of an embedding dataset. */
export interface LanceEmbeddingRows {
  readonly embeddings: Embeddings;
  readonly ids: readonly string[];
  readonly labels: Int32Array; /* [N], -1 where unlabelled */
  /** One name per row ('' where none). */
  readonly labelNames: readonly string[];
}

// loaded on first use: the native module is large and most commands never need it
const lancedb = () => import('@lancedb/lancedb');
// @lancedb/lancedb is CommonJS and require()s apache-arrow: tables it reads or writes must be built from that same
// (CommonJS) copy of apache-arrow, not the ES module this file would import (its classes fail instanceof there)
let cjsArrow: typeof import('apache-arrow') | undefined;
const arrowCjs = () =>
  (cjsArrow ??= createRequire(import.meta.url)('apache-arrow') as typeof import('apache-arrow'));

const tableName = (path: string) => {
  const name = basename(resolve(path)).replace(/\.lance$/i, '');
  if (!/^[A-Za-z0-9_.-]+$/.test(name))
    throw new CladeError('a Lance dataset name may hold only letters, digits, _, - and .', { file: path });
  return name;
};

async function openLance(path: string): Promise<LanceTable> {
  if (!existsSync(path)) throw new CladeError('no such Lance dataset', { file: path });
  const db: Connection = await (await lancedb()).connect(dirname(resolve(path)));
  try {
    return await db.openTable(tableName(path));
  } catch (e) {
    throw new CladeError(`not a readable Lance dataset: ${(e as Error).message.split('\n')[0]}`, {
      file: path,
    });
  }
}

/**
 * Write embeddings with ids and labels as the Lance dataset `path` (a directory ending in `.lance`); `meta` goes
 * into the schema metadata.
 *
 * @example
 * await writeLanceEmbeddings('emb.lance', { embeddings, ids, labels, labelNames }, { model: 'runs/x/model' });
 */
export async function writeLanceEmbeddings(
  path: string,
  rows: LanceEmbeddingRows,
  meta: Record<string, string> = {},
): Promise<void> {
  const { n, d, data } = rows.embeddings;
  const dest = resolve(path);
  const name = tableName(path);
  mkdirSync(dirname(dest), { recursive: true });
  recoverDir(dest);
  const { Field, FixedSizeList, Float32, Table, Utf8, makeData, makeVector, vectorFromArray } = arrowCjs();
  const type = new FixedSizeList(d, new Field('item', new Float32(), false));
  const child = makeData({ type: new Float32(), length: n * d, data });
  const table = new Table({
    id: vectorFromArray([...rows.ids], new Utf8()),
    label: makeVector(rows.labels),
    label_name: vectorFromArray([...rows.labelNames], new Utf8()),
    embedding: makeVector(makeData({ type, length: n, nullCount: 0, child })),
  });
  for (const [k, v] of Object.entries({ ...meta, dim: String(d) })) table.schema.metadata.set(k, v);
  const stamp = `${process.pid}.${Date.now()}`;
  const scratch = join(dirname(dest), `.${basename(dest)}.${stamp}.tmp`);
  const old = join(dirname(dest), `.${basename(dest)}.${stamp}.old`);
  mkdirSync(scratch);
  try {
    const db = await (await lancedb()).connect(scratch);
    await db.createTable(name, table, { mode: 'create' });
    db.close();
    faultPause();
    if (existsSync(dest)) renameSync(dest, old);
    faultPause();
    renameSync(join(scratch, `${name}.lance`), dest);
    rmSync(old, { recursive: true, force: true });
  } catch (e) {
    if (!existsSync(dest) && existsSync(old)) renameSync(old, dest);
    throw e;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Read every row of a Lance embedding dataset (in the order written). Rows of the wrong width, null vectors and
 * NaN/Inf values throw a `CladeError` naming file and row.
 *
 * @example
 * const { embeddings, ids, labels } = await readLanceEmbeddings('emb.lance');
 */
export async function readLanceEmbeddings(
  path: string,
  o: { column?: string; idColumn?: string; allowNonFinite?: boolean } = {},
): Promise<LanceEmbeddingRows & { ids: string[]; meta: Record<string, string> }> {
  const t = await openLance(path);
  try {
    const schema = await t.schema();
    const column = o.column ?? 'embedding';
    const field = schema.fields.find((f) => f.name === column);
    if (!field || !(field.type instanceof arrowCjs().FixedSizeList))
      throw new CladeError(
        `expected a FixedSizeList<Float32> column '${column}' (columns: ${schema.fields.map((f) => f.name).join(', ')})`,
        { file: path },
      );
    const d = (field.type as import('apache-arrow').FixedSizeList).listSize;
    const idColumn = o.idColumn ?? 'id';
    const has = (c: string) => schema.fields.some((f) => f.name === c);
    const cols = [column, ...[idColumn, 'label', 'label_name'].filter(has)];
    const table = await t.query().select(cols).toArrow();
    const n = table.numRows;
    const data = new Float32Array(n * d);
    let at = 0;
    for (const chunk of table.getChild(column)!.data) {
      if (chunk.nullCount > 0)
        for (let i = 0; i < chunk.length; i++)
          if (!chunk.getValid(i)) throw new CladeError('null embedding', { file: path, row: at + i });
      const c = chunk.children[0];
      const start = (c.offset + chunk.offset * d) | 0;
      data.set((c.values as Float32Array).subarray(start, start + chunk.length * d), at * d);
      at += chunk.length;
    }
    const embeddings = makeEmbeddings(data, n, d, { file: path });
    if (!o.allowNonFinite) assertFinite(embeddings, { file: path });
    const strings = (c: string) => {
      const v = has(c) ? table.getChild(c) : null;
      return v ? Array.from(v.toArray() as ArrayLike<unknown>, (x) => String(x ?? '')) : null;
    };
    const ids = strings(idColumn) ?? Array.from({ length: n }, (_, i) => String(i));
    const lv = has('label') ? table.getChild('label') : null;
    const labels = lv
      ? Int32Array.from(lv.toArray() as ArrayLike<number>, (x) => x ?? -1)
      : new Int32Array(n).fill(-1);
    const meta = Object.fromEntries(schema.metadata);
    return { embeddings, ids, labels, labelNames: strings('label_name') ?? ids.map(() => ''), meta };
  } finally {
    t.close();
  }
}

/**
 * The columns of a Lance dataset other than its vectors (id, label, label_name, …), for use as a metadata table.
 *
 * @example
 * const { names, columns } = await readLanceColumns('emb.lance'); // columns.label_name[3]
 */
export async function readLanceColumns(
  path: string,
): Promise<{ names: string[]; columns: Record<string, unknown[]>; length: number }> {
  const t = await openLance(path);
  try {
    const names = (await t.schema()).fields
      .filter((f) => !(f.type instanceof arrowCjs().FixedSizeList))
      .map((f) => f.name);
    const table = await t.query().select(names).toArrow();
    const columns: Record<string, unknown[]> = {};
    for (const k of names) columns[k] = Array.from(table.getChild(k)!.toArray() as ArrayLike<unknown>);
    return { names, columns, length: table.numRows };
  } finally {
    t.close();
  }
}

export interface LanceIndexOptions {
  /** `ivf-pq` (default) or `ivf-hnsw-sq`. */
  readonly kind?: 'ivf-pq' | 'ivf-hnsw-sq';
  /** IVF partitions (default √N). */
  readonly partitions?: number;
  /** PQ sub-vectors (default D / 16). */
  readonly subVectors?: number;
  /** k-means iterations (Lance default 50). */
  readonly maxIterations?: number;
  /** Training rows per partition (Lance default 256). */
  readonly sampleRate?: number;
}

/**
 * Build (or replace) a cosine ANN index on the `embedding` column of a Lance dataset.
 *
 * @example
 * await buildLanceIndex('emb.lance', { kind: 'ivf-pq', partitions: 1024, subVectors: 32 });
 */
export async function buildLanceIndex(path: string, o: LanceIndexOptions = {}): Promise<void> {
  const { Index } = await lancedb();
  const t = await openLance(path);
  try {
    const n = await t.countRows();
    const numPartitions = o.partitions ?? Math.max(1, Math.round(Math.sqrt(n)));
    const common = {
      numPartitions,
      distanceType: 'cosine' as const,
      maxIterations: o.maxIterations,
      sampleRate: o.sampleRate,
    };
    const config =
      o.kind === 'ivf-hnsw-sq'
        ? Index.hnswSq(common)
        : Index.ivfPq({ ...common, numSubVectors: o.subVectors });
    await t.createIndex('embedding', { config, replace: true });
  } finally {
    t.close();
  }
}

/** Search settings of a Lance ANN query. */
export interface LanceSearchOptions {
  /** IVF partitions searched. */
  readonly nprobes?: number;
  /** Re-rank `refineFactor · limit` candidates with exact distances. */
  readonly refineFactor?: number;
  /** HNSW search breadth. */
  readonly ef?: number;
  /** Queries per native call (default 64). */
  readonly batch?: number;
  /** Native calls in flight (default 2). */
  readonly concurrency?: number;
}

/**
 * An open Lance embedding dataset for streaming work (`clade analyze DATA.lance --ann`): the ids are read once
 * (row `r` is the `r`-th row in the order written, as `readLanceEmbeddings` gives them); vectors are read in
 * batches (`scan`), by row (`take`) or found by the ANN index (`search`). Nothing holds the `N × D` matrix.
 */
export interface LanceDataset {
  readonly path: string;
  readonly n: number;
  readonly d: number;
  readonly ids: readonly string[];
  /** The rows in order, `batch` at a time: `first` row and its vectors `[B, D]` (null vectors read as NaN). */
  scan(batch: number): AsyncGenerator<{ first: number; x: Embeddings }>;
  /** The given rows' vectors, in the order asked: `[rows.length, D]`. */
  take(rows: readonly number[]): Promise<Embeddings>;
  /**
   * The `limit` nearest rows (cosine) of each query through the index (exhaustive without one), best first:
   * `row` and cosine distance `1 − cos` `[Q, limit]`, `-1` / NaN where fewer came back.
   */
  search(
    queries: Embeddings /* [Q, D] */,
    limit: number,
    o?: LanceSearchOptions,
  ): Promise<{ row: Int32Array; distance: Float32Array }>;
  /** The type of the index on the vector column (`IvfPq`, `IvfHnswSq`, …), or null. */
  index(): Promise<string | null>;
  close(): void;
}

/** Copy the vectors of an Arrow FixedSizeList column into `out` from row `at`; null vectors become NaN. */
function copyVectors(col: import('apache-arrow').Vector, d: number, out: Float32Array, at: number): number {
  for (const chunk of col.data) {
    const c = chunk.children[0];
    const start = (c.offset + chunk.offset * d) | 0;
    out.set((c.values as Float32Array).subarray(start, start + chunk.length * d), at * d);
    if (chunk.nullCount > 0)
      for (let i = 0; i < chunk.length; i++)
        if (!chunk.getValid(i)) out.fill(NaN, (at + i) * d, (at + i + 1) * d);
    at += chunk.length;
  }
  return at;
}

/**
 * Open a Lance embedding dataset for streaming (`LanceDataset`); ids must be unique (search results map to rows by
 * id). `ids`: the ids when already known (skips reading them).
 *
 * @example
 * const ds = await openLanceDataset('emb.lance');
 * for await (const { first, x } of ds.scan(4096)) { ... }
 * const { row, distance } = await ds.search(queries, 10, { nprobes: 20, refineFactor: 10 });
 * ds.close();
 */
export async function openLanceDataset(
  path: string,
  o: { column?: string; idColumn?: string; ids?: readonly string[] } = {},
): Promise<LanceDataset> {
  const t = await openLance(path);
  try {
    const schema = await t.schema();
    const column = o.column ?? 'embedding';
    const field = schema.fields.find((f) => f.name === column);
    if (!field || !(field.type instanceof arrowCjs().FixedSizeList))
      throw new CladeError(
        `expected a FixedSizeList<Float32> column '${column}' (columns: ${schema.fields.map((f) => f.name).join(', ')})`,
        { file: path },
      );
    const d = (field.type as import('apache-arrow').FixedSizeList).listSize;
    const idColumn = o.idColumn ?? 'id';
    let ids = o.ids;
    if (!ids) {
      const has = schema.fields.some((f) => f.name === idColumn);
      if (!has)
        throw new CladeError(`streaming needs an id column '${idColumn}'`, {
          file: path,
        });
      const table = await t.query().select([idColumn]).toArrow();
      ids = Array.from(table.getChild(idColumn)!.toArray() as ArrayLike<unknown>, (x) => String(x ?? ''));
    }
    const rowOf = new Map<string, number>();
    ids.forEach((id, i) => rowOf.set(id, i));
    if (rowOf.size !== ids.length)
      throw new CladeError('search results map to rows by id: the ids must be unique', { file: path });
    const allIds = ids;
    const n = ids.length;
    return {
      path,
      n,
      d,
      ids,
      async *scan(batch: number) {
        const buf = new Float32Array(batch * d);
        let fill = 0;
        let first = 0;
        for await (const rb of t.query().select([column, idColumn])) {
          const len = rb.numRows;
          const vec = new Float32Array(len * d);
          copyVectors(rb.getChild(column)!, d, vec, 0);
          const got = rb.getChild(idColumn)!;
          for (let i = 0; i < len; i++) {
            const r = first + fill + i;
            // the scan must give the rows in the order the ids were read
            if (String(got.get(i) ?? '') !== allIds[r])
              throw new CladeError(`rows came back out of order at row ${r}`, { file: path, row: r });
          }
          for (let i = 0; i < len;) {
            const take = Math.min(batch - fill, len - i);
            buf.set(vec.subarray(i * d, (i + take) * d), fill * d);
            fill += take;
            i += take;
            if (fill === batch) {
              yield { first, x: { data: buf.slice(), n: fill, d } };
              first += fill;
              fill = 0;
            }
          }
        }
        if (fill) yield { first, x: { data: buf.slice(0, fill * d), n: fill, d } };
        if (first + fill !== n)
          throw new CladeError(`read ${first + fill} rows, expected ${n}`, { file: path });
      },
      async take(rows: readonly number[]) {
        const out = new Float32Array(rows.length * d);
        const at = new Map<number, number[]>();
        rows.forEach((r, i) => (at.get(r) ?? at.set(r, []).get(r)!).push(i));
        const table = await t
          .takeOffsets([...new Set(rows)])
          .select([column, idColumn])
          .toArrow();
        const vec = new Float32Array(table.numRows * d);
        copyVectors(table.getChild(column)!, d, vec, 0);
        const got = table.getChild(idColumn)!;
        let filled = 0;
        for (let i = 0; i < table.numRows; i++) {
          const r = rowOf.get(String(got.get(i) ?? ''));
          for (const q of (r !== undefined && at.get(r)) || []) {
            out.set(vec.subarray(i * d, (i + 1) * d), q * d);
            filled++;
          }
        }
        if (filled !== rows.length)
          throw new CladeError(`took ${filled} of ${rows.length} rows by offset`, { file: path });
        return { data: out, n: rows.length, d };
      },
      async search(queries: Embeddings, limit: number, so: LanceSearchOptions = {}) {
        const row = new Int32Array(queries.n * limit).fill(-1);
        const distance = new Float32Array(queries.n * limit).fill(NaN);
        const vec = (q: number) => queries.data.subarray(q * queries.d, (q + 1) * queries.d);
        // `batch` queries per native call (addQueryVector; results carry query_index), a few calls in flight
        const batch = Math.max(1, so.batch ?? 64);
        const one = async (first: number) => {
          const last = Math.min(queries.n, first + batch);
          let query = t.vectorSearch(vec(first));
          for (let q = first + 1; q < last; q++) query = query.addQueryVector(vec(q));
          query = query.column(column).distanceType('cosine').select([idColumn, '_distance']).limit(limit);
          if (so.nprobes) query = query.nprobes(so.nprobes);
          if (so.refineFactor) query = query.refineFactor(so.refineFactor);
          if (so.ef) query = query.ef(so.ef);
          const hits = await query.toArrow();
          const hid = hits.getChild(idColumn)!;
          const hd = hits.getChild('_distance')!;
          const hq = hits.getChild('query_index');
          const per = Array.from({ length: last - first }, () => [] as { row: number; dist: number }[]);
          for (let h = 0; h < hits.numRows; h++)
            per[hq ? Number(hq.get(h)) : 0].push({
              row: rowOf.get(String(hid.get(h))) ?? -1,
              dist: Number(hd.get(h)),
            });
          per.forEach((list, i) =>
            list
              .sort((a, b) => a.dist - b.dist)
              .slice(0, limit)
              .forEach((h, j) => {
                row[(first + i) * limit + j] = h.row;
                distance[(first + i) * limit + j] = h.dist;
              }),
          );
        };
        let next = 0;
        const worker = async () => {
          for (let first = next; first < queries.n; first = next) {
            next += batch;
            await one(first);
          }
        };
        await Promise.all(Array.from({ length: Math.max(1, so.concurrency ?? 2) }, worker));
        return { row, distance };
      },
      async index() {
        const found = (await t.listIndices()).find((c) => c.columns.includes(column));
        return found ? found.indexType : null;
      },
      close: () => t.close(),
    };
  } catch (e) {
    t.close();
    throw e;
  }
}

/**
 * The k nearest rows (cosine) of each query through the dataset's ANN index (exhaustive when it has none):
 * row numbers [Q, k] (-1 where fewer than k came back), in the order `readLanceEmbeddings` gives the rows.
 * `nprobes` (IVF partitions searched), `refineFactor` (re-rank refineFactor·k candidates exactly) and `ef` (HNSW)
 * trade speed for recall; `batch` queries go in one native call (default 64), `concurrency` calls run at once
 * (default 2). `ids`: the dataset's ids when known (skips reading them).
 *
 * @example
 * const nn = await lanceKnn('emb.lance', queries, 10, { nprobes: 20, refineFactor: 4 }); // Int32Array [Q·10]
 */
export async function lanceKnn(
  path: string,
  queries: Embeddings /* [Q, D] */,
  k: number,
  o: LanceSearchOptions & { ids?: readonly string[] } = {},
): Promise<Int32Array /* [Q, k] */> {
  const ds = await openLanceDataset(path, { ids: o.ids });
  try {
    return (await ds.search(queries, k, o)).row;
  } finally {
    ds.close();
  }
}

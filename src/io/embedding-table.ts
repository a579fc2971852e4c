import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import {
  Field,
  FixedSizeList,
  Float32,
  Table,
  Utf8,
  makeData,
  makeVector,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
  type Vector,
} from 'apache-arrow';
import { CladeError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { type Embeddings, assertFinite } from './embeddings.ts';

/** Embeddings with their row ids (paths or keys) as read from a table. */
export interface EmbeddingTable {
  readonly embeddings: Embeddings;
  readonly ids: string[];
}

export interface TableReadOptions {
  /** The list column holding the vectors (default: `embedding`, else the only list column). */
  column?: string;
  /** The id column (default: `id`, else `path`, else row numbers as strings). */
  idColumn?: string;
  /** Leave NaN/±Inf rows in (the caller drops them); default: they throw. */
  allowNonFinite?: boolean;
}

/**
 * Reads an embedding table from Parquet (`.parquet`, list or fixed-size-list column) or Arrow IPC
 * (`.arrow`/`.feather`/`.ipc`, FixedSizeList<Float32>). Rows of the wrong width, null vectors and NaN/Inf values
 * throw a `CladeError` naming file and row.
 *
 * @example
 * const { embeddings, ids } = await readEmbeddingTable('emb.parquet', { column: 'embedding', idColumn: 'path' });
 */
export async function readEmbeddingTable(path: string, opts: TableReadOptions = {}): Promise<EmbeddingTable> {
  const ext = extname(path).toLowerCase();
  const out = ext === '.parquet' ? await readParquet(path, opts) : readArrow(path, opts);
  if (!opts.allowNonFinite) assertFinite(out.embeddings, { file: path, ids: out.ids });
  return out;
}

function pickId(names: string[], opts: TableReadOptions, file: string): string | undefined {
  if (opts.idColumn) {
    if (!names.includes(opts.idColumn))
      throw new CladeError(`no id column '${opts.idColumn}' (columns: ${names.join(', ')})`, { file });
    return opts.idColumn;
  }
  return names.find((c) => c === 'id') ?? names.find((c) => c === 'path');
}

async function readParquet(path: string, opts: TableReadOptions): Promise<EmbeddingTable> {
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file: await asyncBufferFromFile(path) });
  } catch (e) {
    throw new CladeError(`cannot read Parquet: ${(e as Error).message}`, { file: path });
  }
  const names = rows.length ? Object.keys(rows[0]) : [];
  const col =
    opts.column ??
    (names.includes('embedding') ? 'embedding' : names.find((k) => rows.length && isVec(rows[0][k])));
  if (!col || !names.includes(col))
    throw new CladeError(
      `no embedding column ${opts.column ? `'${opts.column}'` : '(list of floats)'} (columns: ${names.join(', ')})`,
      { file: path },
    );
  const idCol = pickId(names, opts, path);
  return assemble(
    rows.map((r) => r[col]),
    rows.map((r, i) => (idCol ? String(r[idCol]) : String(i))),
    path,
    col,
  );
}

function isVec(v: unknown): boolean {
  return Array.isArray(v) || ArrayBuffer.isView(v);
}

function assemble(vecs: unknown[], ids: string[], file: string, col: string): EmbeddingTable {
  const n = vecs.length;
  let d = -1;
  let data = new Float32Array(0);
  for (let i = 0; i < n; i++) {
    const v = vecs[i] as ArrayLike<number> | null;
    if (v === null || v === undefined || !isVec(v))
      throw new CladeError(`null or non-list value in column '${col}'`, { file, row: i });
    if (d < 0) {
      d = v.length;
      if (d === 0) throw new CladeError(`empty vector in column '${col}'`, { file, row: i });
      data = new Float32Array(n * d);
    }
    if (v.length !== d)
      throw new CladeError(`expected a vector of dimension ${d}, got ${v.length}`, { file, row: i });
    for (let j = 0; j < d; j++) data[i * d + j] = Number(v[j]);
  }
  return { embeddings: { data, n, d: Math.max(d, 1) }, ids };
}

function readArrow(path: string, opts: TableReadOptions): EmbeddingTable {
  let table: Table;
  try {
    table = tableFromIPC(readFileSync(path));
  } catch (e) {
    throw new CladeError(`cannot read Arrow IPC: ${(e as Error).message}`, { file: path });
  }
  const names = table.schema.fields.map((f) => f.name);
  const col =
    opts.column ??
    (names.includes('embedding')
      ? 'embedding'
      : table.schema.fields.find((f) => f.type instanceof FixedSizeList)?.name);
  const vec = col ? table.getChild(col) : null;
  if (!col || !vec)
    throw new CladeError(
      `no embedding column ${opts.column ? `'${opts.column}'` : '(fixed-size list)'} (columns: ${names.join(', ')})`,
      { file: path },
    );
  const idCol = pickId(names, opts, path);
  const idVec = idCol ? table.getChild(idCol) : null;
  const ids = Array.from({ length: table.numRows }, (_, i) => (idVec ? String(idVec.get(i)) : String(i)));
  if (vec.type instanceof FixedSizeList && vec.type.children[0].type instanceof Float32) {
    const d = vec.type.listSize;
    const n = table.numRows;
    const data = new Float32Array(n * d);
    let row = 0;
    for (const chunk of vec.data) {
      for (let i = 0; i < chunk.length; i++)
        if (!chunk.getValid(i))
          throw new CladeError(`null vector in column '${col}'`, { file: path, row: row + i });
      const values = chunk.children[0].values as Float32Array;
      const base = chunk.offset * d + chunk.children[0].offset;
      data.set(values.subarray(base, base + chunk.length * d), row * d);
      row += chunk.length;
    }
    return { embeddings: { data, n, d }, ids };
  }
  const rows = Array.from({ length: table.numRows }, (_, i) => {
    const v = (vec as Vector).get(i) as { toArray(): ArrayLike<number> } | null;
    return v === null ? null : v.toArray();
  });
  return assemble(rows, ids, path, col);
}

/**
 * Writes embeddings and ids as an Arrow IPC file (FixedSizeList<Float32> column `embedding`, Utf8 `id`) or Parquet
 * (list<float> column `embedding`, string `id`), chosen by extension; atomic.
 *
 * @example
 * await writeEmbeddingTable('emb.parquet', e, ids);
 */
export async function writeEmbeddingTable(
  path: string,
  e: Embeddings,
  ids: readonly string[],
): Promise<void> {
  if (ids.length !== e.n)
    throw new CladeError(`expected ${e.n} ids, got ${ids.length} (mismatched counts)`, { file: path });
  const ext = extname(path).toLowerCase();
  if (ext === '.parquet') {
    const vecs = Array.from({ length: e.n }, (_, i) => Array.from(e.data.subarray(i * e.d, (i + 1) * e.d)));
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'id', data: [...ids] },
        { name: 'embedding', data: vecs },
      ],
      schema: [
        { name: 'root', num_children: 2 },
        { name: 'id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'embedding', repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: 'FLOAT', repetition_type: 'REQUIRED' },
      ],
    });
    writeFileAtomic(path, new Uint8Array(buf));
    return;
  }
  const type = new FixedSizeList(e.d, new Field('item', new Float32(), false));
  const child = makeData({ type: new Float32(), length: e.n * e.d, data: e.data });
  const emb = makeVector(makeData({ type, length: e.n, nullCount: 0, child }));
  const table = new Table({ id: vectorFromArray([...ids], new Utf8()), embedding: emb });
  writeFileAtomic(path, tableToIPC(table, 'file'));
}

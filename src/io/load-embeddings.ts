import { extname } from 'node:path';
import { CladeError } from '../util/errors.ts';
import { type Embeddings, makeEmbeddings, assertFinite, takeRows } from './embeddings.ts';
import { readNpyEmbeddings } from './npy.ts';
import { checkNpySidecar } from './npy-sidecar.ts';
import { readSafetensors } from './safetensors.ts';
import { halfArrayToFloat32 } from './float16.ts';
import { readEmbeddingTable } from './embedding-table.ts';
import { readBioclipJson } from './bioclip-json.ts';
import { readLanceEmbeddings } from './lance.ts';

export interface LoadOptions {
  /** Tensor name (safetensors; default `embeddings`, else the only 2-D float tensor) or column (Parquet/Arrow). */
  name?: string;
  /** Id column for tables. */
  idColumn?: string;
  /** Read a `[D, N]` `.npy` or tensor as `[N, D]`. */
  transpose?: boolean;
  /** Rows holding NaN/±Inf: `fail` (default: a `CladeError` naming file and row) or `skip` (dropped, reported). */
  nonFinite?: 'fail' | 'skip';
}

/** Rows `loadEmbeddings` dropped under `nonFinite: 'skip'`: file row number and id. */
export interface DroppedRows {
  readonly count: number;
  readonly rows: readonly { row: number; id: string }[];
}

/**
 * Loads embeddings from any supported file by extension: `.npy` (f4/f2/f8), `.safetensors` (F32/F16/F64),
 * `.parquet`, `.arrow`/`.feather`/`.ipc`, a Lance dataset (`DIR.lance`, `clade embed --out DIR.lance`), or pybioclip
 * `embed` `.json`. Returns ids when the format carries them
 * (tables, JSON), else row numbers. NaN/Inf rows throw a `CladeError` naming file and row, or with `nonFinite: 'skip'`
 * are dropped (`dropped` names them, `fileRows` maps the rows kept to the file's rows); ragged rows and wrong shapes
 * throw.
 *
 * @example
 * const { embeddings, ids } = await loadEmbeddings('features.safetensors', { name: 'image' });
 */
export async function loadEmbeddings(
  path: string,
  opts: LoadOptions = {},
): Promise<{
  embeddings: Embeddings;
  ids: string[];
  /** File row of each returned row (`skip` drops rows; otherwise `0..n−1`). */
  fileRows: Int32Array;
  dropped: DroppedRows;
}> {
  const all = await loadAll(path, { ...opts, allowNonFinite: opts.nonFinite === 'skip' });
  const { data, n, d } = all.embeddings;
  const keep: number[] = [];
  const dropped: { row: number; id: string }[] = [];
  for (let i = 0; i < n; i++) {
    let ok = true;
    for (let j = i * d; j < (i + 1) * d && ok; j++) ok = Number.isFinite(data[j]);
    if (ok) keep.push(i);
    else dropped.push({ row: i, id: all.ids[i] });
  }
  if (!dropped.length) return { ...all, fileRows: Int32Array.from(keep), dropped: { count: 0, rows: [] } };
  return {
    embeddings: takeRows(all.embeddings, keep),
    ids: keep.map((i) => all.ids[i]),
    fileRows: Int32Array.from(keep),
    dropped: { count: dropped.length, rows: dropped },
  };
}

async function loadAll(
  path: string,
  opts: LoadOptions & { allowNonFinite: boolean },
): Promise<{ embeddings: Embeddings; ids: string[] }> {
  const allowNonFinite = opts.allowNonFinite;
  const ext = extname(path).toLowerCase();
  const rowIds = (n: number) => Array.from({ length: n }, (_, i) => String(i));
  switch (ext) {
    case '.npy': {
      checkNpySidecar(path);
      const e = readNpyEmbeddings(path, { transpose: opts.transpose, allowNonFinite });
      return { embeddings: e, ids: rowIds(e.n) };
    }
    case '.safetensors': {
      const tensors = readSafetensors(path);
      const floatish = [...tensors].filter(
        ([, t]) => t.shape.length === 2 && ['F32', 'F16', 'F64'].includes(t.dtype),
      );
      const name =
        opts.name ??
        (tensors.has('embeddings') ? 'embeddings' : floatish.length === 1 ? floatish[0][0] : undefined);
      if (!name)
        throw new CladeError(
          `several or no 2-D float tensors (${[...tensors.keys()].join(', ')}); pass a tensor name`,
          { file: path },
        );
      const t = tensors.get(name);
      if (!t)
        throw new CladeError(`no tensor '${name}' (tensors: ${[...tensors.keys()].join(', ')})`, {
          file: path,
        });
      if (t.shape.length !== 2)
        throw new CladeError(`expected a 2-D tensor, got shape [${t.shape}]`, { file: path, tensor: name });
      const f =
        t.dtype === 'F32'
          ? (t.data as Float32Array)
          : t.dtype === 'F16'
            ? halfArrayToFloat32(t.data as Uint16Array)
            : t.dtype === 'F64'
              ? Float32Array.from(t.data as Float64Array)
              : undefined;
      if (!f) throw new CladeError(`expected a float tensor, got ${t.dtype}`, { file: path, tensor: name });
      let [n, d] = t.shape;
      let data = f;
      if (opts.transpose) {
        data = new Float32Array(f.length);
        for (let r = 0; r < n; r++) for (let c = 0; c < d; c++) data[c * n + r] = f[r * d + c];
        [n, d] = [d, n];
      }
      const e = makeEmbeddings(data, n, d, { file: path });
      if (!allowNonFinite) assertFinite(e, { file: path });
      return { embeddings: e, ids: rowIds(n) };
    }
    case '.parquet':
    case '.arrow':
    case '.feather':
    case '.ipc':
      return readEmbeddingTable(path, { column: opts.name, idColumn: opts.idColumn, allowNonFinite });
    case '.lance': {
      const { embeddings, ids } = await readLanceEmbeddings(path, {
        column: opts.name,
        idColumn: opts.idColumn,
        allowNonFinite,
      });
      return { embeddings, ids };
    }
    case '.json':
      return readBioclipJson(path, { allowNonFinite });
    default:
      throw new CladeError(
        `unknown embedding format '${ext}' (expected .npy, .safetensors, .parquet, .arrow, .lance, .json)`,
        { file: path },
      );
  }
}

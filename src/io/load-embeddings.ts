import { extname } from 'node:path';
import { CladeError } from '../util/errors.ts';
import { type Embeddings, makeEmbeddings, assertFinite } from './embeddings.ts';
import { readNpyEmbeddings } from './npy.ts';
import { checkNpySidecar } from './npy-sidecar.ts';
import { readSafetensors } from './safetensors.ts';
import { halfArrayToFloat32 } from './float16.ts';
import { readEmbeddingTable } from './embedding-table.ts';
import { readBioclipJson } from './bioclip-json.ts';

export interface LoadOptions {
  /** Tensor name (safetensors; default `embeddings`, else the only 2-D float tensor) or column (Parquet/Arrow). */
  name?: string;
  /** Id column for tables. */
  idColumn?: string;
  /** Read a `[D, N]` `.npy` or tensor as `[N, D]`. */
  transpose?: boolean;
}

/**
 * Loads embeddings from any supported file by extension: `.npy` (f4/f2/f8), `.safetensors` (F32/F16/F64),
 * `.parquet`, `.arrow`/`.feather`/`.ipc`, or pybioclip `embed` `.json`. Returns ids when the format carries them
 * (tables, JSON), else row numbers. NaN/Inf rows, ragged rows and wrong shapes throw a `CladeError` naming file and row.
 *
 * @example
 * const { embeddings, ids } = await loadEmbeddings('features.safetensors', { name: 'image' });
 */
export async function loadEmbeddings(
  path: string,
  opts: LoadOptions = {},
): Promise<{ embeddings: Embeddings; ids: string[] }> {
  const ext = extname(path).toLowerCase();
  const rowIds = (n: number) => Array.from({ length: n }, (_, i) => String(i));
  switch (ext) {
    case '.npy': {
      checkNpySidecar(path);
      const e = readNpyEmbeddings(path, { transpose: opts.transpose });
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
      assertFinite(e, { file: path });
      return { embeddings: e, ids: rowIds(n) };
    }
    case '.parquet':
    case '.arrow':
    case '.feather':
    case '.ipc':
      return readEmbeddingTable(path, { column: opts.name, idColumn: opts.idColumn });
    case '.json':
      return readBioclipJson(path);
    default:
      throw new CladeError(
        `unknown embedding format '${ext}' (expected .npy, .safetensors, .parquet, .arrow, .json)`,
        { file: path },
      );
  }
}

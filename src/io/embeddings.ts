import { CladeError } from '../util/errors.ts';

/**
 * The common embedding matrix: `n` row vectors of width `d`, row-major in one `Float32Array`.
 *
 * Every analysis in `src/analysis` takes this type. Row `i` is `data.subarray(i * d, (i + 1) * d)`.
 *
 * @example
 * const e: Embeddings = { data: new Float32Array([1, 0, 0, 1]), n: 2, d: 2 };
 */
export interface Embeddings {
  readonly data: Float32Array; /* [N, D] row-major */
  readonly n: number;
  readonly d: number;
}

/** Where an embedding matrix came from, used to name the file in error messages. */
export interface SourceInfo {
  readonly file?: string;
  /** Row identifiers (ids or paths), parallel to the rows, used to name rows in errors. */
  readonly ids?: readonly string[];
}

/**
 * Builds an `Embeddings` value and checks that `data.length === n * d`.
 *
 * @example
 * const e = makeEmbeddings(new Float32Array(6), 3, 2);
 */
export function makeEmbeddings(data: Float32Array, n: number, d: number, src: SourceInfo = {}): Embeddings {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(d) || d < 1)
    throw new CladeError(`expected non-negative integer n and positive d, got n=${n}, d=${d}`, {
      file: src.file,
    });
  if (data.length !== n * d)
    throw new CladeError(`expected ${n} x ${d} = ${n * d} values, got ${data.length}`, { file: src.file });
  return { data, n, d };
}

/**
 * Throws a `CladeError` naming the file and the first row holding NaN or ±Inf.
 *
 * @example
 * assertFinite(e, { file: 'emb.npy' }); // "emb.npy: row 17: non-finite value (NaN) in column 3"
 */
export function assertFinite(e: Embeddings, src: SourceInfo = {}): void {
  const { data, n, d } = e;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    for (let j = 0; j < d; j++) {
      const v = data[o + j];
      if (!Number.isFinite(v)) {
        const id = src.ids?.[i];
        throw new CladeError(
          `non-finite value (${v}) in column ${j}${id !== undefined ? ` (id ${id})` : ''}`,
          {
            file: src.file,
            row: i,
          },
        );
      }
    }
  }
}

/**
 * Throws unless `e.d === d` (wrong embedding width) and, if given, `e.n === n`.
 *
 * @example
 * assertShape(images, { d: text.d, file: 'images.npy' });
 */
export function assertShape(
  e: Embeddings,
  want: { n?: number; d?: number; file?: string; what?: string },
): void {
  if (want.d !== undefined && e.d !== want.d)
    throw new CladeError(`expected ${want.what ?? 'embeddings'} of dimension ${want.d}, got ${e.d}`, {
      file: want.file,
    });
  if (want.n !== undefined && e.n !== want.n)
    throw new CladeError(`expected ${want.n} ${want.what ?? 'rows'}, got ${e.n} (mismatched counts)`, {
      file: want.file,
    });
}

/** Row `i` as a view (no copy). */
export function row(e: Embeddings, i: number): Float32Array /* [D] */ {
  return e.data.subarray(i * e.d, (i + 1) * e.d);
}

/**
 * Selects rows by index into a new matrix.
 *
 * @example
 * const train = takeRows(e, trainIdx);
 */
export function takeRows(e: Embeddings, idx: ArrayLike<number>): Embeddings {
  const out = new Float32Array(idx.length * e.d);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k];
    if (!(i >= 0 && i < e.n)) throw new CladeError(`row index ${i} out of range [0, ${e.n})`);
    out.set(e.data.subarray(i * e.d, (i + 1) * e.d), k * e.d);
  }
  return { data: out, n: idx.length, d: e.d };
}

/**
 * Returns a copy with every row scaled to unit L2 norm (`n(v) = v / ‖v‖₂`); all-zero rows stay zero.
 *
 * @example
 * const z = l2Normalize(e);
 */
export function l2Normalize(e: Embeddings): Embeddings {
  const { n, d } = e;
  const out = new Float32Array(e.data);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += out[o + j] * out[o + j];
    if (s > 0) {
      const inv = 1 / Math.sqrt(s);
      for (let j = 0; j < d; j++) out[o + j] *= inv;
    }
  }
  return { data: out, n, d };
}

/**
 * The few heavy kernels every analysis is built from: blocked `A · Bᵀ` tiles, tiled similarity passes and top-k.
 * They are written as cache-blocked TypeScript loops (a 4 × 4 register-blocked micro-kernel, float64 accumulation)
 * so they can later be swapped for ONNX Runtime sessions without touching the callers.
 *
 * Memory is bounded by the tile size: no function here allocates an `N × N` matrix.
 */
import type { Embeddings } from '../io/embeddings.ts';
import { progress } from '../util/progress.ts';

/**
 * `out[(i - a0) * ldo + (j - b0)] = ⟨A_i, B_j⟩` for rows `a0 ≤ i < a1` of `A` and `b0 ≤ j < b1` of `B`
 * (both row-major with width `d`). `ldo` defaults to `b1 - b0`.
 *
 * @example
 * const out = new Float64Array(4 * 8);
 * gemmNT(x.data, 0, 4, y.data, 0, 8, x.d, out); // out = X[0:4] · Y[0:8]ᵀ
 */
export function gemmNT(
  A: Float32Array | Float64Array,
  a0: number,
  a1: number,
  B: Float32Array | Float64Array,
  b0: number,
  b1: number,
  d: number,
  out: Float64Array | Float32Array,
  ldo = b1 - b0,
): void {
  const na = a1 - a0;
  const nb = b1 - b0;
  const na4 = na - (na % 4);
  const nb4 = nb - (nb % 4);
  for (let ii = 0; ii < na4; ii += 4) {
    const p0 = (a0 + ii) * d;
    const p1 = p0 + d;
    const p2 = p1 + d;
    const p3 = p2 + d;
    for (let jj = 0; jj < nb4; jj += 4) {
      const q0 = (b0 + jj) * d;
      const q1 = q0 + d;
      const q2 = q1 + d;
      const q3 = q2 + d;
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0,
        c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0,
        c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let k = 0; k < d; k++) {
        const x0 = A[p0 + k],
          x1 = A[p1 + k],
          x2 = A[p2 + k],
          x3 = A[p3 + k];
        let y = B[q0 + k];
        c00 += x0 * y;
        c10 += x1 * y;
        c20 += x2 * y;
        c30 += x3 * y;
        y = B[q1 + k];
        c01 += x0 * y;
        c11 += x1 * y;
        c21 += x2 * y;
        c31 += x3 * y;
        y = B[q2 + k];
        c02 += x0 * y;
        c12 += x1 * y;
        c22 += x2 * y;
        c32 += x3 * y;
        y = B[q3 + k];
        c03 += x0 * y;
        c13 += x1 * y;
        c23 += x2 * y;
        c33 += x3 * y;
      }
      let o = ii * ldo + jj;
      out[o] = c00;
      out[o + 1] = c01;
      out[o + 2] = c02;
      out[o + 3] = c03;
      o += ldo;
      out[o] = c10;
      out[o + 1] = c11;
      out[o + 2] = c12;
      out[o + 3] = c13;
      o += ldo;
      out[o] = c20;
      out[o + 1] = c21;
      out[o + 2] = c22;
      out[o + 3] = c23;
      o += ldo;
      out[o] = c30;
      out[o + 1] = c31;
      out[o + 2] = c32;
      out[o + 3] = c33;
    }
    for (let jj = nb4; jj < nb; jj++) {
      const q = (b0 + jj) * d;
      let c0 = 0,
        c1 = 0,
        c2 = 0,
        c3 = 0;
      for (let k = 0; k < d; k++) {
        const y = B[q + k];
        c0 += A[p0 + k] * y;
        c1 += A[p1 + k] * y;
        c2 += A[p2 + k] * y;
        c3 += A[p3 + k] * y;
      }
      out[ii * ldo + jj] = c0;
      out[(ii + 1) * ldo + jj] = c1;
      out[(ii + 2) * ldo + jj] = c2;
      out[(ii + 3) * ldo + jj] = c3;
    }
  }
  for (let ii = na4; ii < na; ii++) {
    const p = (a0 + ii) * d;
    for (let jj = 0; jj < nb; jj++) {
      const q = (b0 + jj) * d;
      let c = 0;
      for (let k = 0; k < d; k++) c += A[p + k] * B[q + k];
      out[ii * ldo + jj] = c;
    }
  }
}

/** Row-major transpose of an `[rows, cols]` matrix. */
export function transpose<T extends Float32Array | Float64Array>(a: T, rows: number, cols: number): T {
  const out = new (a.constructor as new (n: number) => T)(rows * cols);
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B)
    for (let c0 = 0; c0 < cols; c0 += B) {
      const r1 = Math.min(rows, r0 + B);
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * rows + r] = a[r * cols + c];
    }
  return out;
}

/**
 * `C = A · B` for row-major `A [m, k]`, `B [k, n]` (transposes `B` once, then uses `gemmNT`).
 *
 * @example
 * const c = matmul(a, b, m, k, n); // Float64Array [m, n]
 */
export function matmul(
  A: Float32Array | Float64Array,
  B: Float32Array | Float64Array,
  m: number,
  k: number,
  n: number,
): Float64Array {
  const bt = transpose(B, k, n);
  const out = new Float64Array(m * n);
  gemmNT(A, 0, m, bt, 0, n, k, out);
  return out;
}

/** Squared L2 norm of every row. */
export function rowSqNorms(x: Embeddings): Float64Array /* [N] */ {
  const out = new Float64Array(x.n);
  for (let i = 0; i < x.n; i++) {
    let s = 0;
    const o = i * x.d;
    for (let j = 0; j < x.d; j++) s += x.data[o + j] * x.data[o + j];
    out[i] = s;
  }
  return out;
}

export interface TileOptions {
  /** Rows of `q` per tile (default 128). */
  rowBlock?: number;
  /** Rows of `keys` per tile (default 1024). */
  colBlock?: number;
  /** `q === keys`: visit only tiles with `j0 ≥ i0` (the caller mirrors contributions). */
  upper?: boolean;
  /** Label for a terminal progress bar over row blocks (silent when stderr is not a TTY). */
  progress?: string;
}

/**
 * Visits the dot-product matrix `Q · Kᵀ` tile by tile: `fn(i0, i1, j0, j1, tile)` with
 * `tile[(i - i0) * (j1 - j0) + (j - j0)] = ⟨q_i, k_j⟩`. Memory: one `rowBlock × colBlock` float64 tile.
 *
 * @example
 * forEachTile(x, x, (i0, i1, j0, j1, t) => { ... }, { upper: true });
 */
export function forEachTile(
  q: Embeddings,
  keys: Embeddings,
  fn: (i0: number, i1: number, j0: number, j1: number, tile: Float64Array) => void,
  opts: TileOptions = {},
): void {
  const rb = opts.rowBlock ?? 128;
  const cb = opts.colBlock ?? 1024;
  const tile = new Float64Array(rb * cb);
  const bar = opts.progress ? progress(opts.progress, q.n, { unit: 'rows' }) : undefined;
  for (let i0 = 0; i0 < q.n; i0 += rb) {
    const i1 = Math.min(q.n, i0 + rb);
    for (let j0 = opts.upper ? i0 : 0; j0 < keys.n; j0 += cb) {
      const j1 = Math.min(keys.n, j0 + cb);
      const t = tile.subarray(0, (i1 - i0) * (j1 - j0));
      gemmNT(q.data, i0, i1, keys.data, j0, j1, q.d, t);
      fn(i0, i1, j0, j1, t);
    }
    bar?.tick(i1 - i0);
  }
  bar?.done();
}

/** Top-k result: row `i` holds the `k` best keys, best first (ties: lower index first). */
export interface TopK {
  readonly k: number;
  readonly index: Int32Array; /* [N, k] */
  readonly score: Float32Array; /* [N, k] */
}

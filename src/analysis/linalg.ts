/**
 * Small dense linear algebra on float64: symmetric eigendecomposition (cyclic Jacobi) and modified Gram–Schmidt.
 * Sizes here are `D × D` or `K × K` (hundreds), never `N × N`.
 */

/**
 * Eigenvalues (descending) and eigenvectors (columns of `vectors`, row-major `[n, n]`) of a symmetric matrix.
 *
 * @example
 * const { values, vectors } = symmetricEigen(new Float64Array([2, 1, 1, 2]), 2); // values [3, 1]
 */
export function symmetricEigen(
  a: Float64Array,
  n: number,
  opts: { maxSweeps?: number; tol?: number } = {},
): {
  values: Float64Array;
  vectors: Float64Array;
} {
  const A = Float64Array.from(a);
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  const maxSweeps = opts.maxSweeps ?? 60;
  const tol = opts.tol ?? 1e-14;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += A[i] * A[i];
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q] * A[p * n + q];
    if (off <= tol * tol * total || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const app = A[p * n + p];
        const aqq = A[q * n + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p];
          const akq = A[k * n + q];
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k];
          const aqk = A[q * n + k];
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p];
          const vkq = V[k * n + q];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[j * n + j] - A[i * n + i]);
  const values = Float64Array.from(order, (i) => A[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vectors[k * n + dst] = V[k * n + src];
  });
  return { values, vectors };
}

/**
 * Orthonormalises the rows of `Q [r, n]` in place (modified Gram–Schmidt, two passes); rows that become
 * numerically zero are left zero. Returns the number of non-zero rows.
 */
export function orthonormalizeRows(Q: Float64Array, r: number, n: number): number {
  let rank = 0;
  for (let i = 0; i < r; i++) {
    const oi = i * n;
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < i; j++) {
        const oj = j * n;
        let dot = 0;
        for (let k = 0; k < n; k++) dot += Q[oi + k] * Q[oj + k];
        for (let k = 0; k < n; k++) Q[oi + k] -= dot * Q[oj + k];
      }
    }
    let s = 0;
    for (let k = 0; k < n; k++) s += Q[oi + k] * Q[oi + k];
    if (s > 1e-24) {
      const inv = 1 / Math.sqrt(s);
      for (let k = 0; k < n; k++) Q[oi + k] *= inv;
      rank++;
    } else Q.fill(0, oi, oi + n);
  }
  return rank;
}

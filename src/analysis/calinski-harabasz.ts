import type { Embeddings } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { checkLabels } from './labels.ts';

/**
 * Calinski–Harabasz score with the labels as clusters (methods §E.3; the "CHS" of arXiv 2305.10229):
 * `CH = [Σ_k n_k ‖c_k − c̄‖² / (K − 1)] / [Σ_i ‖x_i − c_{y_i}‖² / (n − K)]`, float64 accumulation, O(n D).
 * `K` counts non-empty classes. High CH = globally dense clusters.
 *
 * @example
 * calinskiHarabasz(x, [0, 0, 0, 1, 1, 1]); // case A of §E.2: 112.5
 */
export function calinskiHarabasz(x: Embeddings, labels: ArrayLike<number>): number {
  const { n, d, data } = x;
  const K0 = checkLabels(labels, n);
  const counts = new Float64Array(K0);
  const sums = new Float64Array(K0 * d);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    counts[c]++;
    for (let j = 0; j < d; j++) {
      sums[c * d + j] += data[i * d + j];
      mean[j] += data[i * d + j];
    }
  }
  for (let j = 0; j < d; j++) mean[j] /= n;
  let K = 0;
  let between = 0;
  for (let c = 0; c < K0; c++) {
    if (counts[c] === 0) continue;
    K++;
    let s = 0;
    for (let j = 0; j < d; j++) {
      sums[c * d + j] /= counts[c];
      const v = sums[c * d + j] - mean[j];
      s += v * v;
    }
    between += counts[c] * s;
  }
  if (K < 2 || K >= n) throw new CladeError(`Calinski–Harabasz needs 2 ≤ K < n, got K=${K}, n=${n}`);
  let within = 0;
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    for (let j = 0; j < d; j++) {
      const v = data[i * d + j] - sums[c * d + j];
      within += v * v;
    }
  }
  if (within === 0) return Infinity;
  return between / (K - 1) / (within / (n - K));
}

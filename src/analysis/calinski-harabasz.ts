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

/**
 * Calinski–Harabasz accumulated over row batches (one pass, for data that is streamed, e.g. `clade analyze --ann`):
 * class counts and sums of the rows shifted by the first row seen (float64), then
 * `within = Σ‖y‖² − Σ_k ‖S_k‖²/n_k`, `between = Σ_k n_k ‖S_k/n_k − S/n‖²`. Same value as `calinskiHarabasz`.
 *
 * @example
 * const ch = new CalinskiHarabaszSums(K, d); ch.add(batch, batchLabels); ch.value();
 */
export class CalinskiHarabaszSums {
  private readonly counts: Float64Array;
  private readonly sums: Float64Array; /* [K, d] */
  private shift: Float64Array | null = null;
  private sq = 0;
  private n = 0;

  constructor(
    readonly K: number,
    readonly d: number,
  ) {
    this.counts = new Float64Array(K);
    this.sums = new Float64Array(K * d);
  }

  add(x: Embeddings, labels: ArrayLike<number>): void {
    const { d } = this;
    if (x.d !== d || labels.length !== x.n) throw new CladeError(`expected [${x.n}, ${d}] rows with labels`);
    const shift = (this.shift ??= Float64Array.from(x.data.subarray(0, d)));
    for (let i = 0; i < x.n; i++) {
      const c = labels[i];
      if (!(Number.isInteger(c) && c >= 0 && c < this.K))
        throw new CladeError(`expected a label in [0, ${this.K}), got ${c}`, { row: i });
      this.counts[c]++;
      for (let j = 0; j < d; j++) {
        const v = x.data[i * d + j] - shift[j];
        this.sums[c * d + j] += v;
        this.sq += v * v;
      }
    }
    this.n += x.n;
  }

  value(): number {
    const { d, n } = this;
    const total = new Float64Array(d);
    let K = 0;
    let classSq = 0;
    for (let c = 0; c < this.K; c++) {
      if (!this.counts[c]) continue;
      K++;
      let s = 0;
      for (let j = 0; j < d; j++) {
        total[j] += this.sums[c * d + j];
        s += this.sums[c * d + j] ** 2;
      }
      classSq += s / this.counts[c];
    }
    if (K < 2 || K >= n) throw new CladeError(`Calinski–Harabasz needs 2 ≤ K < n, got K=${K}, n=${n}`);
    let between = 0;
    for (let c = 0; c < this.K; c++) {
      if (!this.counts[c]) continue;
      let s = 0;
      for (let j = 0; j < d; j++) s += (this.sums[c * d + j] / this.counts[c] - total[j] / n) ** 2;
      between += this.counts[c] * s;
    }
    const within = this.sq - classSq;
    if (within <= 0) return Infinity;
    return between / (K - 1) / (within / (n - K));
  }
}

import type { Embeddings } from '../io/embeddings.ts';
import { l2Normalize } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { checkLabels } from './labels.ts';

/**
 * SimpleShot few-shot evaluation (Wang et al. 2019; BioCLIP 2 methods §A.6): from L2-normalised features, per fold
 * `f` sample `shots` support images per class with an RNG seeded by `f` (clade's `Rng(f)`), all others are queries;
 * CL2N (subtract the support mean, L2-normalise); predict the nearest class centroid (Euclidean). Returns per-fold
 * accuracy and mean ± std (population std, ddof 0). Classes with ≤ `shots` images are skipped.
 *
 * @example
 * simpleShot(x, y, { shots: 1, folds: 5 }); // { mean: 0.64, std: 0.01, folds: [...] }
 */
export function simpleShot(
  x: Embeddings,
  labels: ArrayLike<number>,
  opts: { shots?: number; folds?: number; seedOffset?: number } = {},
): { mean: number; std: number; folds: number[] } {
  const shots = opts.shots ?? 1;
  const nf = opts.folds ?? 5;
  const K = checkLabels(labels, x.n);
  const z = l2Normalize(x);
  const d = x.d;
  const byClass: number[][] = Array.from({ length: K }, () => []);
  for (let i = 0; i < x.n; i++) byClass[labels[i]].push(i);
  const classes = byClass.map((m, c) => (m.length > shots ? c : -1)).filter((c) => c >= 0);
  if (classes.length < 2) throw new CladeError(`SimpleShot needs ≥ 2 classes with more than ${shots} images`);
  const folds: number[] = [];
  for (let f = 0; f < nf; f++) {
    const rng = new Rng(f + (opts.seedOffset ?? 0));
    const isSupport = new Uint8Array(x.n);
    const support: number[][] = [];
    for (const c of classes) {
      const members = [...byClass[c]];
      rng.shuffle(members);
      support.push(members.slice(0, shots));
      for (const i of members.slice(0, shots)) isSupport[i] = 1;
    }
    const mean = new Float64Array(d);
    let ns = 0;
    for (const s of support)
      for (const i of s) {
        ns++;
        for (let k = 0; k < d; k++) mean[k] += z.data[i * d + k];
      }
    for (let k = 0; k < d; k++) mean[k] /= ns;
    const cl2n = (i: number, out: Float64Array) => {
      let s = 0;
      for (let k = 0; k < d; k++) s += (out[k] = z.data[i * d + k] - mean[k]) ** 2;
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let k = 0; k < d; k++) out[k] *= inv;
    };
    const cent = new Float64Array(classes.length * d);
    const tmp = new Float64Array(d);
    support.forEach((s, ci) => {
      for (const i of s) {
        cl2n(i, tmp);
        for (let k = 0; k < d; k++) cent[ci * d + k] += tmp[k] / s.length;
      }
    });
    const classSet = new Set(classes);
    let correct = 0;
    let total = 0;
    for (let i = 0; i < x.n; i++) {
      if (isSupport[i] || !classSet.has(labels[i])) continue;
      cl2n(i, tmp);
      let best = Infinity;
      let arg = -1;
      for (let ci = 0; ci < classes.length; ci++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += (tmp[k] - cent[ci * d + k]) ** 2;
        if (s < best) {
          best = s;
          arg = ci;
        }
      }
      total++;
      if (classes[arg] === labels[i]) correct++;
    }
    folds.push(correct / total);
  }
  const mean = folds.reduce((a, b) => a + b, 0) / nf;
  const std = Math.sqrt(folds.reduce((a, b) => a + (b - mean) ** 2, 0) / nf);
  return { mean, std, folds };
}

import { CladeError } from '../util/errors.ts';

/**
 * Checks a label vector against `n` points and returns the number of classes (`max + 1`). Labels must be integers
 * in `[0, K)`; classes with no points are allowed.
 *
 * @example
 * const K = checkLabels(y, x.n);
 */
export function checkLabels(y: ArrayLike<number>, n: number, what = 'labels'): number {
  if (y.length !== n) throw new CladeError(`expected ${n} ${what}, got ${y.length} (mismatched counts)`);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const v = y[i];
    if (!Number.isInteger(v) || v < 0)
      throw new CladeError(`expected a non-negative integer label, got ${v}`, { row: i });
    if (v + 1 > k) k = v + 1;
  }
  return k;
}

/** Relabels arbitrary integer labels to `0..K-1` in order of first appearance. */
export function denseLabels(y: ArrayLike<number>): { labels: Int32Array; k: number } {
  const map = new Map<number, number>();
  const labels = new Int32Array(y.length);
  for (let i = 0; i < y.length; i++) {
    let c = map.get(y[i]);
    if (c === undefined) map.set(y[i], (c = map.size));
    labels[i] = c;
  }
  return { labels, k: map.size };
}

/**
 * Checks a labelled train/test pair (same width, valid labels on both sides) and returns the number of classes.
 *
 * @example
 * const C = checkTrainTest(train, trainY, test, testY);
 */
export function checkTrainTest(
  train: { readonly n: number; readonly d: number },
  trainLabels: ArrayLike<number>,
  test: { readonly n: number; readonly d: number },
  testLabels: ArrayLike<number> | undefined,
): number {
  if (train.d !== test.d) throw new CladeError(`train has dimension ${train.d}, test ${test.d}`);
  return Math.max(
    checkLabels(trainLabels, train.n, 'train labels'),
    testLabels ? checkLabels(testLabels, test.n, 'test labels') : 0,
  );
}

/**
 * Mean per-class recall (balanced accuracy): the recall of each class present in `labels`, averaged unweighted.
 *
 * @example
 * meanPerClassRecall([0, 0, 1], [0, 1, 1]); // (1/1 + 1/2) / 2 = 0.75
 */
export function meanPerClassRecall(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  const hit = new Map<number, number>();
  const cnt = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    cnt.set(c, (cnt.get(c) ?? 0) + 1);
    if (predictions[i] === c) hit.set(c, (hit.get(c) ?? 0) + 1);
  }
  let s = 0;
  for (const [c, n] of cnt) s += (hit.get(c) ?? 0) / n;
  return cnt.size ? s / cnt.size : NaN;
}

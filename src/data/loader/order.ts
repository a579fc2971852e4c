import { Rng } from '../../util/rng.ts';

/**
 * The per-sample random stream: a function of (seed, epoch, dataset index) only.
 *
 * @example
 * const rng = sampleRng(42, 0, 17); // same stream in any worker, any batch
 */
export function sampleRng(seed: number, epoch: number, index: number): Rng {
  return new Rng(seed).fork(`sample:${epoch}:${index}`);
}

/**
 * The dataset order for `epoch`: a seeded permutation when shuffling, else 0..n-1.
 *
 * @example
 * epochOrder(42, 3, 10, true); // Int32Array permutation, the same on every call
 */
export function epochOrder(seed: number, epoch: number, n: number, shuffle: boolean): Int32Array {
  if (!shuffle) return Int32Array.from({ length: n }, (_, i) => i);
  return new Rng(seed).fork(`epoch:${epoch}`).permutation(n);
}

/** Number of batches in an epoch of `n` samples. */
export function batchesPerEpoch(n: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

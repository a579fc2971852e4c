import type { Embeddings } from '../../src/io/embeddings.ts';
import { l2Normalize } from '../../src/io/embeddings.ts';
import type { Rng } from '../../src/util/rng.ts';

/** Gaussian-mixture embeddings: `classes` centres, unit-normalised rows. */
export function mixture(
  rng: Rng,
  n: number,
  d: number,
  classes: number,
  spread: number,
): { x: Embeddings; y: Int32Array } {
  const centers = rng.normalArray(classes * d);
  const data = new Float32Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = (y[i] = rng.int(classes));
    for (let j = 0; j < d; j++) data[i * d + j] = centers[c * d + j] + rng.normal() * spread;
  }
  return { x: l2Normalize({ data, n, d }), y };
}

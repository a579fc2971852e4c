import { CladeError } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';

/** A transform of one tabular feature vector with separately drawn parameters. */
export interface TabularView<P> {
  readonly name: string;
  sample(rng: Rng, features: number): P;
  apply(x: Float32Array /* [F] */, params: P): Float32Array; /* [F] */
  forward(x: Float32Array, rng: Rng): Float32Array;
}

function checkRate(p: number, name: string): void {
  if (!(p >= 0 && p <= 1)) throw new CladeError(`expected a rate in [0, 1], got ${p}`, { field: name });
}

/** Each feature independently chosen with probability `rate`: a 0/1 mask of length F. */
function drawMask(rng: Rng, features: number, rate: number): Uint8Array {
  const m = new Uint8Array(features);
  for (let j = 0; j < features; j++) m[j] = rng.bernoulli(rate) ? 1 : 0;
  return m;
}

/**
 * Feature masking: each feature is replaced by `fill` (default 0) with probability `rate`.
 *
 * @example
 * new FeatureMask({ rate: 0.3 }).apply(Float32Array.of(1, 2, 3), Uint8Array.of(0, 1, 0)); // [1, 0, 3]
 */
export class FeatureMask implements TabularView<Uint8Array> {
  readonly name = 'FeatureMask';
  readonly rate: number;
  readonly fill: number;
  constructor(opts: { rate: number; fill?: number }) {
    checkRate(opts.rate, 'FeatureMask.rate');
    this.rate = opts.rate;
    this.fill = opts.fill ?? 0;
  }
  sample(rng: Rng, features: number): Uint8Array {
    return drawMask(rng, features, this.rate);
  }
  apply(x: Float32Array, mask: Uint8Array): Float32Array {
    const out = Float32Array.from(x);
    for (let j = 0; j < x.length; j++) if (mask[j]) out[j] = this.fill;
    return out;
  }
  forward(x: Float32Array, rng: Rng): Float32Array {
    return this.apply(x, this.sample(rng, x.length));
  }
}

export interface ScarfParams {
  readonly mask: Uint8Array; /* [F] */
  /** Row of the reference table each corrupted feature is copied from (-1 where not corrupted). */
  readonly rows: Int32Array; /* [F] */
}

/**
 * SCARF corruption (Bahri et al. 2022): each feature is, with probability `rate`, replaced by the same feature of a
 * uniformly drawn row of a reference table, i.e. a draw from that feature's empirical marginal.
 *
 * @example
 * const scarf = new ScarfCorruption({ rate: 0.6, table, rows: N, features: F }); // table [N, F] row-major
 * const view = scarf.forward(x, rng);
 */
export class ScarfCorruption implements TabularView<ScarfParams> {
  readonly name = 'ScarfCorruption';
  readonly rate: number;
  readonly table: Float32Array; /* [N, F] */
  readonly rows: number;
  readonly features: number;
  constructor(opts: { rate: number; table: Float32Array; rows: number; features: number }) {
    checkRate(opts.rate, 'ScarfCorruption.rate');
    if (!(opts.rows > 0) || opts.table.length !== opts.rows * opts.features)
      throw new CladeError(
        `table has ${opts.table.length} values, expected rows*features = ${opts.rows}*${opts.features}`,
        {
          field: 'ScarfCorruption.table',
        },
      );
    this.rate = opts.rate;
    this.table = opts.table;
    this.rows = opts.rows;
    this.features = opts.features;
  }
  sample(rng: Rng, features: number): ScarfParams {
    if (features !== this.features)
      throw new CladeError(`vector has ${features} features, table has ${this.features}`, {
        field: 'tabular',
      });
    const mask = drawMask(rng, features, this.rate);
    const rows = new Int32Array(features).fill(-1);
    for (let j = 0; j < features; j++) if (mask[j]) rows[j] = rng.int(this.rows);
    return { mask, rows };
  }
  apply(x: Float32Array, p: ScarfParams): Float32Array {
    const out = Float32Array.from(x);
    for (let j = 0; j < x.length; j++) if (p.mask[j]) out[j] = this.table[p.rows[j] * this.features + j];
    return out;
  }
  forward(x: Float32Array, rng: Rng): Float32Array {
    return this.apply(x, this.sample(rng, x.length));
  }
}

/**
 * Additive Gaussian noise `x + std * N(0, 1)` (per-feature `std` allowed, e.g. a fraction of each feature's spread).
 *
 * @example
 * new GaussianNoise({ std: 0.1 }).forward(x, rng);
 */
export class GaussianNoise implements TabularView<Float32Array> {
  readonly name = 'GaussianNoise';
  readonly std: number | Float32Array;
  constructor(opts: { std: number | Float32Array }) {
    const s = opts.std;
    if (typeof s === 'number' ? !(s >= 0) : s.some((v) => !(v >= 0)))
      throw new CladeError('expected std >= 0', { field: 'GaussianNoise.std' });
    this.std = s;
  }
  /** Standard normal draws, one per feature. */
  sample(rng: Rng, features: number): Float32Array {
    return rng.normalArray(features);
  }
  apply(x: Float32Array, z: Float32Array): Float32Array {
    const out = Float32Array.from(x);
    const s = this.std;
    for (let j = 0; j < x.length; j++) out[j] += (typeof s === 'number' ? s : s[j]) * z[j];
    return out;
  }
  forward(x: Float32Array, rng: Rng): Float32Array {
    return this.apply(x, this.sample(rng, x.length));
  }
}

/**
 * Seeded, serialisable random numbers (xoshiro128**, seeded through splitmix32).
 *
 * Every random choice in clade — parameter init, shuffling, augmentation, dropout masks — draws from an explicit
 * `Rng`, so seeded runs are bit-identical and a checkpoint can store `rng.state()` to resume exactly.
 *
 * @example
 * const rng = new Rng(42);
 * rng.float();            // 0.7936… in [0, 1)
 * const child = rng.fork('augment'); // independent stream, deterministic in (parent state, tag)
 */
export class Rng {
  private s: Uint32Array;

  constructor(seed: number | readonly number[] = 0) {
    this.s = new Uint32Array(4);
    if (typeof seed === 'number') {
      let x = seed >>> 0;
      for (let i = 0; i < 4; i++) {
        x = (x + 0x9e3779b9) >>> 0;
        this.s[i] = splitmix32(x);
      }
    } else {
      if (seed.length !== 4) throw new Error(`Rng state must have 4 words, got ${seed.length}`);
      this.s.set(seed);
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }

  /** The full generator state; `new Rng(rng.state())` continues the same stream. */
  state(): number[] {
    return Array.from(this.s);
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  float(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n > 0)) throw new Error(`Rng.int needs n > 0, got ${n}`);
    return Math.floor(this.float() * n);
  }

  /** Standard normal (Box–Muller; one draw per call so the state stays four words). */
  normal(): number {
    let u = this.float();
    while (u === 0) u = this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.float() < p;
  }

  /** In-place Fisher–Yates shuffle; returns the array. */
  shuffle<T>(a: T[] | Int32Array | Uint32Array): typeof a {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    this.shuffle(p);
    return p;
  }

  /** Float32Array of standard normals times `std`. */
  normalArray(n: number, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal() * std;
    return out;
  }

  /** Float32Array of uniforms in [lo, hi). */
  uniformArray(n: number, lo: number, hi: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniform(lo, hi);
    return out;
  }

  /** An independent child stream determined by this stream's current state and `tag` (does not advance this one). */
  fork(tag: string | number): Rng {
    let h = 0x811c9dc5;
    const str = String(tag);
    for (let i = 0; i < str.length; i++) h = Math.imul(h ^ str.charCodeAt(i), 0x01000193) >>> 0;
    const words = Array.from(this.s, (w, i) => splitmix32((w ^ h ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0));
    return new Rng(words);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

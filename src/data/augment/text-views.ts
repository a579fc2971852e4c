import { CladeError } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';

export interface TokenViewOptions {
  /** Probability each eligible token is masked / dropped. */
  rate: number;
  /** Padding id: positions holding it are never touched, and dropout pads the end with it (default 0). */
  padId?: number;
  /** Ids never masked or dropped (start/end-of-text, CLS…). */
  specialIds?: readonly number[];
}

function eligible(pad: number, special: ReadonlySet<number>): (t: number) => boolean {
  return (t) => t !== pad && !special.has(t);
}

/** Each eligible position chosen independently with probability `rate` (0/1 mask of length T). */
function drawTokenMask(rng: Rng, tokens: Int32Array, rate: number, ok: (t: number) => boolean): Uint8Array {
  const m = new Uint8Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) if (ok(tokens[i]) && rng.bernoulli(rate)) m[i] = 1;
  return m;
}

/**
 * Token masking (BERT-style, without the 80/10/10 split): chosen tokens become `maskId`.
 *
 * @example
 * const tm = new TokenMask({ rate: 0.15, maskId: 3, padId: 0, specialIds: [1, 2] });
 * tm.apply(Int32Array.of(1, 7, 8, 2, 0), Uint8Array.of(0, 1, 0, 0, 0)); // [1, 3, 8, 2, 0]
 */
export class TokenMask {
  readonly name = 'TokenMask';
  readonly maskId: number;
  private readonly ok: (t: number) => boolean;
  constructor(readonly opts: TokenViewOptions & { maskId: number }) {
    if (!(opts.rate >= 0 && opts.rate <= 1))
      throw new CladeError(`expected rate in [0, 1], got ${opts.rate}`, { field: 'TokenMask.rate' });
    this.maskId = opts.maskId;
    this.ok = eligible(opts.padId ?? 0, new Set(opts.specialIds ?? []));
  }
  sample(rng: Rng, tokens: Int32Array /* [T] */): Uint8Array {
    return drawTokenMask(rng, tokens, this.opts.rate, this.ok);
  }
  apply(tokens: Int32Array, mask: Uint8Array): Int32Array {
    const out = Int32Array.from(tokens);
    for (let i = 0; i < out.length; i++) if (mask[i]) out[i] = this.maskId;
    return out;
  }
  forward(tokens: Int32Array, rng: Rng): Int32Array {
    return this.apply(tokens, this.sample(rng, tokens));
  }
}

/**
 * Token dropout: chosen tokens are removed, the rest shift left and the end is padded with `padId`, so the
 * length T is kept.
 *
 * @example
 * const td = new TokenDropout({ rate: 0.1, padId: 0, specialIds: [1, 2] });
 * td.apply(Int32Array.of(1, 7, 8, 9, 2), Uint8Array.of(0, 0, 1, 0, 0)); // [1, 7, 9, 2, 0]
 */
export class TokenDropout {
  readonly name = 'TokenDropout';
  readonly padId: number;
  private readonly ok: (t: number) => boolean;
  constructor(readonly opts: TokenViewOptions) {
    if (!(opts.rate >= 0 && opts.rate <= 1))
      throw new CladeError(`expected rate in [0, 1], got ${opts.rate}`, { field: 'TokenDropout.rate' });
    this.padId = opts.padId ?? 0;
    this.ok = eligible(this.padId, new Set(opts.specialIds ?? []));
  }
  sample(rng: Rng, tokens: Int32Array /* [T] */): Uint8Array {
    return drawTokenMask(rng, tokens, this.opts.rate, this.ok);
  }
  apply(tokens: Int32Array, drop: Uint8Array): Int32Array {
    const out = new Int32Array(tokens.length).fill(this.padId);
    let j = 0;
    for (let i = 0; i < tokens.length; i++) if (!drop[i]) out[j++] = tokens[i];
    return out;
  }
  forward(tokens: Int32Array, rng: Rng): Int32Array {
    return this.apply(tokens, this.sample(rng, tokens));
  }
}

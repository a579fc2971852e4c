import { CladeError } from '../../util/errors.ts';

/** A batch of tokenised texts, padded to the context length. */
export interface TokenBatch {
  readonly ids: Int32Array; /* [B, T] row-major */
  /** Position of the end token in each row (for end-token pooling, as CLIP's text tower does). */
  readonly eotIndex: Int32Array; /* [B] */
  readonly batch: number; // B
  readonly contextLength: number; // T
}

/** The one tokenizer interface (CLIP BPE and word-level). */
export interface Tokenizer {
  readonly kind: 'clip-bpe' | 'word';
  readonly vocabSize: number;
  readonly contextLength: number;
  readonly sotId: number;
  readonly eotId: number;
  readonly padId: number;
  /** `[sot] + tokens + [eot]`, truncated to T (the last kept position becomes `eot`), padded with `padId`. */
  encode(texts: readonly string[]): TokenBatch;
  /** Token ids of one text, without start/end tokens or truncation. */
  tokenize(text: string): number[];
  /** Text of a list of ids; special and padding tokens are dropped. */
  decode(ids: ArrayLike<number>): string;
  /** A JSON-serialisable description from which `loadTokenizer` rebuilds the tokenizer. */
  toJSON(): unknown;
}

/** Packs token lists as `[sot, ...tokens, eot, pad...]` rows of length T; truncation keeps `eot` last. */
export function packTokens(
  lists: readonly number[][],
  T: number,
  sot: number,
  eot: number,
  pad: number,
): TokenBatch {
  if (!(Number.isInteger(T) && T >= 2))
    throw new CladeError(`context length must be an integer >= 2, got ${T}`);
  const B = lists.length;
  const ids = new Int32Array(B * T).fill(pad);
  const eotIndex = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const toks = lists[b];
    const n = Math.min(toks.length, T - 2);
    const row = b * T;
    ids[row] = sot;
    for (let i = 0; i < n; i++) ids[row + 1 + i] = toks[i];
    ids[row + 1 + n] = eot;
    eotIndex[b] = 1 + n;
  }
  return { ids, eotIndex, batch: B, contextLength: T };
}

import { CladeError } from '../../util/errors.ts';
import type { Rng } from '../../util/rng.ts';
import type { TokenDropout, TokenMask } from '../augment/text-views.ts';
import type { Tokenizer } from '../tokenizers/tokenizer.ts';
import type { Sample } from '../types.ts';

export interface CaptionTokensOptions {
  /** Which caption: the first (CLIPin's loader), or one drawn uniformly from the sample's stream. Default first. */
  pick?: 'first' | 'random';
  /** A text view applied to the encoded ids (give it the tokenizer's sot/eot as `specialIds`, its `padId`). */
  view?: TokenMask | TokenDropout;
}

/**
 * The `tokens` hook of `viewsTransform`: one caption of the sample, encoded to `[T]` ids, optionally masked or
 * dropped out.
 *
 * @example
 * const tokens = captionTokens(tok, { pick: 'random', view: new TokenMask({ rate: 0.15, maskId: 1, padId: tok.padId,
 *   specialIds: [tok.sotId, tok.eotId] }) });
 * const transform = viewsTransform({ image: simclrViews(), tokens });
 */
export function captionTokens(tokenizer: Tokenizer, opts: CaptionTokensOptions = {}) {
  return (sample: Sample, rng: Rng): Int32Array => {
    const caps = sample.captions;
    if (!caps || caps.length === 0)
      throw new CladeError('sample has no captions to tokenise', { sample: sample.id });
    const text = opts.pick === 'random' ? caps[rng.int(caps.length)] : caps[0];
    const ids = tokenizer.encode([text]).ids; /* [1, T] */
    return opts.view ? opts.view.forward(ids, rng) : ids;
  };
}

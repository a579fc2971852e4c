import { expect, test } from 'vitest';
import { Rng } from '../../util/rng.ts';
import { TokenMask } from '../augment/text-views.ts';
import { WordTokenizer } from '../tokenizers/word-tokenizer.ts';
import { captionTokens } from './caption-tokens.ts';
import { viewsTransform } from './sample-transforms.ts';

const tok = WordTokenizer.fromCorpus(['a red bird', 'a blue fish'], { contextLength: 6 });
const sample = { index: 0, id: 's0', captions: ['a red bird', 'a blue fish'] };

test('first caption encoded as [sot, ids…, eot, pad…]', () => {
  const ids = captionTokens(tok)(sample, new Rng(0));
  expect(Array.from(ids)).toEqual([tok.sotId, ...tok.tokenize('a red bird'), tok.eotId, tok.padId]);
});

test('random caption draws both; masking never touches sot/eot/pad', async () => {
  const seen = new Set<string>();
  const r = new Rng(1);
  for (let i = 0; i < 40; i++) seen.add(tok.decode(captionTokens(tok, { pick: 'random' })(sample, r)));
  expect(seen).toEqual(new Set(['a red bird', 'a blue fish']));
  const mask = new TokenMask({
    rate: 1,
    maskId: tok.unkId,
    padId: tok.padId,
    specialIds: [tok.sotId, tok.eotId],
  });
  const item = await viewsTransform({ tokens: captionTokens(tok, { view: mask }) })(sample, new Rng(2));
  expect(Array.from((item as { tokens: Int32Array }).tokens)).toEqual([
    tok.sotId,
    1,
    1,
    1,
    tok.eotId,
    tok.padId,
  ]);
});

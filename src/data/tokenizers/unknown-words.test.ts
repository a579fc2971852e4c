import { expect, test } from 'vitest';
import { clipTokenizer } from './load-tokenizer.ts';
import { unknownWords, unknownWordsWarning } from './unknown-words.ts';
import { WordTokenizer } from './word-tokenizer.ts';

const tok = WordTokenizer.fromCorpus(['a photo of Pica pica, a magpie.', 'a photo of a dog.'], {
  contextLength: 16,
});

test('class names outside a word vocabulary are found: which words, which names, what share', () => {
  const r = unknownWords(tok, ['Pica pica', 'Corvus corax', 'dog raven'])!;
  expect(r.words).toEqual(['corvus', 'corax', 'raven']);
  expect(r.allUnknown).toEqual(['Corvus corax']);
  expect(r.unknownShare).toBeCloseTo(3 / 6);
  const w = unknownWordsWarning(tok, ['Pica pica', 'Corvus corax', 'dog raven'], 'class names')!;
  expect(w).toContain("50% of the words of the class names are not in the model's vocabulary");
  expect(w).toContain("'corvus', 'corax', 'raven'");
  expect(w).toContain("1 of 3 class names are entirely unknown ('Corvus corax')");
  // the identical encodings the warning is about
  const enc = tok.encode(['Corvus corax', 'Ursus arctos']);
  expect(Array.from(enc.ids.subarray(0, 16))).toEqual(Array.from(enc.ids.subarray(16, 32)));
});

test('known names and BPE tokenizers (no unknown token) give no warning', () => {
  expect(unknownWordsWarning(tok, ['Pica pica', 'dog'], 'class names')).toBeNull();
  expect(unknownWordsWarning(clipTokenizer(77), ['Corvus corax'], 'class names')).toBeNull();
});

/**
 * Texts a word-level tokenizer does not know: every unknown word becomes `<unk>`, so class names outside the
 * training vocabulary all embed alike and zero-shot on them is at chance. Callers warn with `unknownWordsWarning`.
 * (CLIP BPE has no unknown token: any text encodes.)
 */
import type { Tokenizer } from './tokenizer.ts';
import { WordTokenizer, words as splitWords } from './word-tokenizer.ts';

export interface UnknownWords {
  /** Share of all word tokens of `texts` that map to `<unk>`. */
  readonly unknownShare: number;
  /** Texts every word of which is unknown (they encode identically). */
  readonly allUnknown: readonly string[];
  /** Distinct unknown words, in order of first appearance. */
  readonly words: readonly string[];
}

/**
 * Which words of `texts` the tokenizer maps to `<unk>`; null for tokenizers without an unknown token.
 *
 * @example
 * unknownWords(tok, ['Corvus corax', 'dog']); // { unknownShare: 0.67, allUnknown: ['Corvus corax'], words: ['corvus', 'corax'] }
 */
export function unknownWords(tokenizer: Tokenizer, texts: readonly string[]): UnknownWords | null {
  if (!(tokenizer instanceof WordTokenizer)) return null;
  let total = 0;
  let unknown = 0;
  const allUnknown: string[] = [];
  const words = new Set<string>();
  for (const text of texts) {
    const ids = tokenizer.tokenize(text);
    const pieces = splitWords(text, tokenizer.lowercase);
    let u = 0;
    ids.forEach((id, i) => {
      if (id !== tokenizer.unkId) return;
      u++;
      words.add(pieces[i] ?? '?');
    });
    total += ids.length;
    unknown += u;
    if (ids.length === 0 || u === ids.length) allUnknown.push(text);
  }
  return { unknownShare: total ? unknown / total : 0, allUnknown, words: [...words] };
}

const list = (xs: readonly string[], n: number): string =>
  xs
    .slice(0, n)
    .map((x) => `'${x}'`)
    .join(', ') + (xs.length > n ? ` and ${xs.length - n} more` : '');

/**
 * A one-paragraph warning when some of `texts` (e.g. `what` = 'class names') contain words the model's word
 * tokenizer does not know; null when every word is known.
 *
 * @example
 * const w = unknownWordsWarning(model.tokenizer, names, 'class names'); if (w) console.error(w);
 */
export function unknownWordsWarning(
  tokenizer: Tokenizer,
  texts: readonly string[],
  what: string,
): string | null {
  const r = unknownWords(tokenizer, texts);
  if (!r || r.words.length === 0) return null;
  const pct = (100 * r.unknownShare).toFixed(0);
  const whole = r.allUnknown.length
    ? ` ${r.allUnknown.length} of ${texts.length} ${what} are entirely unknown (${list(r.allUnknown, 5)}): they all encode as <unk> and embed identically, so results on them are at chance.`
    : '';
  return (
    `warning: ${pct}% of the words of the ${what} are not in the model's vocabulary (unknown: ${list(r.words, 8)}).` +
    `${whole} The model only knows the words of its training texts.`
  );
}

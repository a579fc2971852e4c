import { CladeError } from '../../util/errors.ts';
import { packTokens, type TokenBatch, type Tokenizer } from './tokenizer.ts';

export const WORD_SPECIALS = ['<pad>', '<unk>', '<sot>', '<eot>'] as const;
const SPLIT = /[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu;

export interface WordTokenizerJson {
  readonly kind: 'word';
  readonly contextLength: number;
  readonly lowercase: boolean;
  /** Index = id; the first four are `<pad>`, `<unk>`, `<sot>`, `<eot>`. */
  readonly vocab: readonly string[];
}

/**
 * A word-level tokenizer for models trained from scratch: words (letter/digit runs) and single punctuation marks,
 * lower-cased by default; unknown words map to `<unk>`. Ids: 0 `<pad>`, 1 `<unk>`, 2 `<sot>`, 3 `<eot>`.
 *
 * @example
 * const tok = WordTokenizer.fromCorpus(['a photo of Pica pica.'], { contextLength: 16 });
 * tok.encode(['a photo of a dog.']).ids; // [2, 4, 5, 6, 4, 1, 8, 3, 0, ...]
 * writeFileAtomic('tok.json', JSON.stringify(tok.toJSON()));
 */
export class WordTokenizer implements Tokenizer {
  readonly kind = 'word' as const;
  readonly padId = 0;
  readonly unkId = 1;
  readonly sotId = 2;
  readonly eotId = 3;
  private readonly index: Map<string, number>;

  constructor(
    readonly vocab: readonly string[],
    readonly contextLength = 77,
    readonly lowercase = true,
  ) {
    WORD_SPECIALS.forEach((s, i) => {
      if (vocab[i] !== s)
        throw new CladeError(`word vocabulary must start with ${WORD_SPECIALS.join(', ')}`, {
          field: `vocab[${i}]`,
        });
    });
    this.index = new Map(vocab.map((w, i) => [w, i]));
    if (this.index.size !== vocab.length)
      throw new CladeError('word vocabulary has duplicate entries', { field: 'vocab' });
  }

  /** Builds the vocabulary from a corpus: words seen at least `minCount` times, most frequent first (ties alphabetical). */
  static fromCorpus(
    corpus: Iterable<string>,
    opts: { contextLength?: number; lowercase?: boolean; minCount?: number; maxVocab?: number } = {},
  ): WordTokenizer {
    const lower = opts.lowercase ?? true;
    const counts = new Map<string, number>();
    for (const text of corpus) for (const w of words(text, lower)) counts.set(w, (counts.get(w) ?? 0) + 1);
    const minCount = opts.minCount ?? 1;
    const ranked = [...counts.entries()]
      .filter(([, c]) => c >= minCount)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([w]) => w);
    const max = (opts.maxVocab ?? Infinity) - WORD_SPECIALS.length;
    return new WordTokenizer(
      [...WORD_SPECIALS, ...ranked.slice(0, Math.max(0, max))],
      opts.contextLength ?? 77,
      lower,
    );
  }

  static fromJSON(json: WordTokenizerJson): WordTokenizer {
    if (json.kind !== 'word')
      throw new CladeError(`expected kind 'word', got '${json.kind as string}'`, { field: 'kind' });
    return new WordTokenizer(json.vocab, json.contextLength, json.lowercase);
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  tokenize(text: string): number[] {
    return words(text, this.lowercase).map((w) => this.index.get(w) ?? this.unkId);
  }

  encode(texts: readonly string[]): TokenBatch {
    return packTokens(
      texts.map((t) => this.tokenize(t)),
      this.contextLength,
      this.sotId,
      this.eotId,
      this.padId,
    );
  }

  decode(ids: ArrayLike<number>): string {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === this.padId || id === this.sotId || id === this.eotId) continue;
      out.push(this.vocab[id] ?? '<unk>');
    }
    return out.join(' ');
  }

  toJSON(): WordTokenizerJson {
    return { kind: 'word', contextLength: this.contextLength, lowercase: this.lowercase, vocab: this.vocab };
  }
}

/** The words of a text as the tokenizer splits them (letter/digit runs and single punctuation marks). */
export function words(text: string, lower: boolean): string[] {
  const t = (lower ? text.toLowerCase() : text).normalize('NFC');
  return t.match(SPLIT) ?? [];
}

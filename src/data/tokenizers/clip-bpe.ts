import { decodeHTML } from 'entities';
import { CladeError } from '../../util/errors.ts';
import { packTokens, type TokenBatch, type Tokenizer } from './tokenizer.ts';

/** OpenAI CLIP's special-token names. */
export const SOT = '<|startoftext|>';
export const EOT = '<|endoftext|>';
/** open_clip's names for the same two tokens (ids 49406, 49407): `SimpleTokenizer` matches these in text. */
export const OPEN_CLIP_SPECIAL: readonly [string, string] = ['<start_of_text>', '<end_of_text>'];

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** CLIP's split pattern with the special tokens first (case-insensitive, as open_clip compiles it). */
const splitPattern = (special: readonly string[]) =>
  new RegExp(
    `${special.map(escapeRe).join('|')}|'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^\\s\\p{L}\\p{N}]+`,
    'giu',
  );

/** GPT-2 / CLIP byte → printable character table (`bytes_to_unicode`), in CLIP's vocabulary order. */
export function bytesToUnicode(): [number, string][] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++)
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  return bs.map((b, i) => [b, String.fromCharCode(cs[i])]);
}

// ftfy's character tables (ftfy.chardata): control characters it removes, Latin ligatures it splits, the
// half-/full-width forms it maps to their standard forms, and the curly quotes it straightens.
const CONTROL =
  /[\u0000-\u0008\u000b\u000e-\u001f\u007f\u206a-\u206f\ufeff\ufff9-\ufffc]|\ud834[\udd73-\udd7a]|\udb40[\udc00-\udc7f]/g;
const LIGATURES: Record<string, string> = {
  Ĳ: 'IJ',
  ĳ: 'ij',
  ﬀ: 'ff',
  ﬁ: 'fi',
  ﬂ: 'fl',
  ﬃ: 'ffi',
  ﬄ: 'ffl',
  ﬅ: 'ſt',
  ﬆ: 'st',
};
const LIGATURE_RE = /[Ĳĳﬀ-ﬆ]/g;
const WIDTH_RE = /[\u3000\uff01-\uffef]/g;
const widthForm = (c: string) => (c === '\u3000' ? ' ' : c.normalize('NFKC'));

/**
 * The parts of `ftfy.fix_text` (defaults) that are deterministic character maps: HTML entities when the text has
 * no `<` (its 'auto' mode), control characters and the BOM removed, Latin ligatures split, half-/full-width forms
 * mapped to standard ones, curly quotes straightened, CRLF → LF, NFC. ftfy's mojibake repair (text decoded in
 * the wrong encoding, e.g. `cafÃ©`) is heuristic and not reproduced.
 *
 * @example
 * ftfyFix('“ﬁsh”\u3000ＯＫ'); // '"fish" OK'
 */
export function ftfyFix(text: string): string {
  let t = text.includes('<') ? text : decodeHTML(text);
  t = t.replace(/\r\n?|[\u2028\u2029\u0085]/g, '\n');
  t = t.replace(LIGATURE_RE, (c) => LIGATURES[c] ?? c);
  t = t.replace(WIDTH_RE, widthForm);
  t = t.replace(/[\u02bc\u2018-\u201b]/g, "'").replace(/[\u201c-\u201f]/g, '"');
  t = t.replace(CONTROL, '');
  return t.normalize('NFC');
}

/**
 * open_clip's `_clean_lower`: `ftfy.fix_text`, HTML unescaped twice (Python's `html.unescape`, HTML5 rules),
 * trimmed, whitespace runs collapsed to one space, lower-cased.
 *
 * @example
 * clipClean('  Hello &amp;amp;\n\t WORLD  '); // 'hello & world'
 */
export function clipClean(text: string): string {
  const t = decodeHTML(decodeHTML(ftfyFix(text))).trim();
  return t.replace(/\s+/g, ' ').trim().toLowerCase();
}

export interface ClipBpeJson {
  readonly kind: 'clip-bpe';
  readonly contextLength: number;
  /** Merges in rank order, each `"a b"`. */
  readonly merges: readonly string[];
  /** Token → id. */
  readonly vocab: Readonly<Record<string, number>>;
  readonly padId: number;
  readonly specialTokens?: readonly [string, string];
}

/**
 * CLIP's byte-level BPE tokenizer (OpenAI `simple_tokenizer.py` / open_clip `tokenize`): cleanup and lower-casing,
 * the CLIP split pattern, byte → unicode mapping, BPE with the `</w>` end-of-word suffix, `<|startoftext|>` and
 * `<|endoftext|>`, context length (default 77), truncation keeping `<|endoftext|>` last, padding with id 0.
 * Load vocabularies with `loadTokenizer` (HF `tokenizer.json`, `vocab.json` + `merges.txt`, OpenAI merges list).
 *
 * @example
 * const tok = loadTokenizer({ openaiMerges: 'bpe_simple_vocab_16e6.txt.gz' });
 * tok.encode(['Hello world']); // { ids: Int32Array [1 × 77], eotIndex: Int32Array [1] }
 */
export class ClipBpeTokenizer implements Tokenizer {
  readonly kind = 'clip-bpe' as const;
  readonly sotId: number;
  readonly eotId: number;
  private readonly ranks: Map<string, number>;
  private readonly decoder: string[];
  private readonly byteEncoder: string[];
  private readonly byteDecoder: Map<string, number>;
  private readonly cache = new Map<string, number[]>();
  private readonly pattern: RegExp;
  private readonly special: ReadonlyMap<string, number>;

  constructor(
    readonly vocab: Readonly<Record<string, number>>,
    readonly merges: readonly string[],
    readonly contextLength = 77,
    readonly padId = 0,
    /** Names of the start and end tokens in `vocab` (OpenAI's by default; open_clip: `OPEN_CLIP_SPECIAL`). */
    readonly specialTokens: readonly [string, string] = [SOT, EOT],
  ) {
    this.ranks = new Map(merges.map((m, i) => [m, i]));
    this.decoder = [];
    for (const [tok, id] of Object.entries(vocab)) this.decoder[id] = tok;
    const sot = vocab[specialTokens[0]];
    const eot = vocab[specialTokens[1]];
    if (sot === undefined || eot === undefined)
      throw new CladeError(`vocabulary lacks ${specialTokens[0]} or ${specialTokens[1]}`, { field: 'vocab' });
    this.pattern = splitPattern(specialTokens);
    this.special = new Map([
      [specialTokens[0], sot],
      [specialTokens[1], eot],
    ]);
    this.sotId = sot;
    this.eotId = eot;
    const table = bytesToUnicode();
    this.byteEncoder = [];
    this.byteDecoder = new Map();
    for (const [b, c] of table) {
      this.byteEncoder[b] = c;
      this.byteDecoder.set(c, b);
    }
  }

  /**
   * The OpenAI construction: vocabulary = 256 byte symbols, the same with `</w>`, one token per merge, then
   * `<|startoftext|>`, `<|endoftext|>` (49,408 tokens for CLIP's 48,894 merges).
   */
  static fromMerges(
    merges: readonly string[],
    contextLength = 77,
    specialTokens: readonly [string, string] = [SOT, EOT],
  ): ClipBpeTokenizer {
    const syms = bytesToUnicode().map(([, c]) => c);
    const list = [
      ...syms,
      ...syms.map((s) => s + '</w>'),
      ...merges.map((m) => m.replace(' ', '')),
      ...specialTokens,
    ];
    const vocab: Record<string, number> = {};
    list.forEach((t, i) => (vocab[t] = i));
    return new ClipBpeTokenizer(vocab, merges, contextLength, 0, specialTokens);
  }

  get vocabSize(): number {
    return this.decoder.length;
  }

  tokenize(text: string): number[] {
    const out: number[] = [];
    for (const m of clipClean(text).matchAll(this.pattern)) {
      const word = m[0];
      const special = this.special.get(word);
      if (special !== undefined) {
        out.push(special);
        continue;
      }
      let ids = this.cache.get(word);
      if (!ids) {
        let mapped = '';
        for (const b of new TextEncoder().encode(word)) mapped += this.byteEncoder[b];
        ids = this.bpe(mapped).map((t) => {
          const id = this.vocab[t];
          if (id === undefined)
            throw new CladeError(`BPE produced '${t}', which is not in the vocabulary`, { field: 'vocab' });
          return id;
        });
        if (this.cache.size < 100_000) this.cache.set(word, ids);
      }
      out.push(...ids);
    }
    return out;
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
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === this.sotId) continue;
      if (id === this.eotId) break;
      s += this.decoder[id] ?? '';
    }
    const bytes: number[] = [];
    for (const ch of s.replace(/<\/w>/g, ' '))
      bytes.push(ch === ' ' ? 0x20 : (this.byteDecoder.get(ch) ?? 0x3f));
    return new TextDecoder().decode(Uint8Array.from(bytes)).trim();
  }

  toJSON(): ClipBpeJson {
    return {
      kind: 'clip-bpe',
      contextLength: this.contextLength,
      merges: this.merges,
      vocab: this.vocab,
      padId: this.padId,
      specialTokens: this.specialTokens,
    };
  }

  /** BPE of one byte-mapped word: symbols with `</w>` on the last, lowest-rank pair merged first, all occurrences. */
  private bpe(token: string): string[] {
    const chars = Array.from(token);
    let word = chars.slice(0, -1).concat(chars[chars.length - 1] + '</w>');
    for (;;) {
      if (word.length < 2) break;
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const r = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const a = word[best];
      const b = word[best + 1];
      const next: string[] = [];
      for (let i = 0; i < word.length;) {
        if (i < word.length - 1 && word[i] === a && word[i + 1] === b) {
          next.push(a + b);
          i += 2;
        } else next.push(word[i++]);
      }
      word = next;
    }
    return word;
  }
}

import { fileURLToPath } from 'node:url';
import { CladeError } from '../../util/errors.ts';
import { readBytes } from '../readers/files.ts';
import { ClipBpeTokenizer, OPEN_CLIP_SPECIAL, type ClipBpeJson } from './clip-bpe.ts';
import { WordTokenizer, type WordTokenizerJson } from './word-tokenizer.ts';
import type { Tokenizer } from './tokenizer.ts';

/** Where a tokenizer's vocabulary comes from. */
export type TokenizerSource =
  /** Hugging Face `tokenizer.json` (BPE model; merges as `"a b"` strings or `[a, b]` pairs). */
  | { readonly tokenizerJson: string }
  /** Hugging Face `vocab.json` + `merges.txt` (`#version` header line skipped). */
  | { readonly vocab: string; readonly merges: string }
  /** OpenAI's merges list (`bpe_simple_vocab_16e6.txt[.gz]`): a header line, then merges; CLIP keeps 48,894. */
  | { readonly openaiMerges: string; readonly maxMerges?: number }
  /** A JSON file written from `tokenizer.toJSON()` (word-level or CLIP BPE). */
  | { readonly saved: string }
  /** The CLIP BPE vocabulary shipped with clade (`assets/clip-bpe/`), as open_clip's `SimpleTokenizer`. */
  | { readonly builtin: 'clip' };

/** Where the shipped CLIP BPE merges list lives (`assets/clip-bpe/`, MIT, with open_clip's licence). */
export const CLIP_BPE_FILE = fileURLToPath(
  new URL('../../../assets/clip-bpe/bpe_simple_vocab_16e6.txt.gz', import.meta.url),
);

/** The description `toJSON` gives for the shipped vocabulary: model.json stays small and loads it back. */
export interface BuiltinClipJson {
  readonly kind: 'clip-bpe';
  readonly builtin: 'clip';
  readonly contextLength: number;
}

let builtinMerges: string[] | null = null;

/**
 * open_clip's tokenizer for every CLIP-family model (`get_tokenizer('ViT-B-16')`, BioCLIP, BioCLIP 2): the shipped
 * 49,408-token CLIP BPE, open_clip's `<start_of_text>` / `<end_of_text>` names, context 77. No network.
 *
 * @example
 * clipTokenizer().encode(['a photo of Corvus corax.']).ids; // [49406, 320, 1125, 539, 851, 85, 718, 851, 9203, 269, 49407, 0, …]
 */
export function clipTokenizer(contextLength = 77): ClipBpeTokenizer {
  builtinMerges ??= openaiMergesList(CLIP_BPE_FILE);
  const tok = ClipBpeTokenizer.fromMerges(builtinMerges, contextLength, OPEN_CLIP_SPECIAL);
  // Described by reference to the shipped file, not by its 1.5 MB vocabulary.
  const json: BuiltinClipJson = { kind: 'clip-bpe', builtin: 'clip', contextLength };
  return Object.assign(tok, { toJSON: () => json });
}

/** OpenAI's merges file: a header line, then merges; CLIP keeps the first 48,894 (49,152 − 256 − 2). */
function openaiMergesList(file: string, maxMerges = 49152 - 256 - 2): string[] {
  return text(file)
    .split('\n')
    .slice(1)
    .filter((l) => l.length > 0)
    .slice(0, maxMerges);
}

/**
 * Loads a tokenizer from files. All forms give the same `Tokenizer` interface.
 *
 * @example
 * const tok = loadTokenizer({ tokenizerJson: 'tokenizer.json' }, { contextLength: 77 });
 * const { ids, eotIndex } = tok.encode(['a photo of Pica hudsonia.']);
 */
export function loadTokenizer(src: TokenizerSource, opts: { contextLength?: number } = {}): Tokenizer {
  const T = opts.contextLength;
  if ('tokenizerJson' in src) {
    const j = readJson(src.tokenizerJson) as {
      model?: { type?: string; vocab?: Record<string, number>; merges?: unknown[] };
      added_tokens?: { id: number; content: string }[];
    };
    const m = j.model;
    if (!m || m.type !== 'BPE' || !m.vocab || !Array.isArray(m.merges))
      throw new CladeError('expected a BPE model with vocab and merges', {
        file: src.tokenizerJson,
        field: 'model',
      });
    const vocab = { ...m.vocab };
    for (const t of j.added_tokens ?? []) vocab[t.content] = t.id;
    const merges = m.merges.map((x, i) => {
      if (typeof x === 'string') return x;
      if (Array.isArray(x) && x.length === 2) return `${x[0]} ${x[1]}`;
      throw new CladeError('merge must be "a b" or [a, b]', {
        file: src.tokenizerJson,
        field: `model.merges[${i}]`,
      });
    });
    return new ClipBpeTokenizer(vocab, merges, T ?? 77);
  }
  if ('vocab' in src) {
    const vocab = readJson(src.vocab) as Record<string, number>;
    const merges = text(src.merges)
      .split(/\r?\n/)
      .filter((l, i) => l.length > 0 && !(i === 0 && l.startsWith('#version')));
    return new ClipBpeTokenizer(vocab, merges, T ?? 77);
  }
  if ('openaiMerges' in src)
    return ClipBpeTokenizer.fromMerges(openaiMergesList(src.openaiMerges, src.maxMerges), T ?? 77);
  if ('builtin' in src) return clipTokenizer(T ?? 77);
  return tokenizerFromJSON(readJson(src.saved), T, src.saved);
}

/** Rebuilds a tokenizer from `toJSON()` output (e.g. stored in a checkpoint). */
export function tokenizerFromJSON(json: unknown, contextLength?: number, file?: string): Tokenizer {
  const j = json as { kind?: string };
  if (j?.kind === 'word') {
    const w = j as WordTokenizerJson;
    return WordTokenizer.fromJSON(contextLength ? { ...w, contextLength } : w);
  }
  if (j?.kind === 'clip-bpe' && (j as BuiltinClipJson).builtin === 'clip')
    return clipTokenizer(contextLength ?? (j as BuiltinClipJson).contextLength);
  if (j?.kind === 'clip-bpe') {
    const c = j as ClipBpeJson;
    return new ClipBpeTokenizer(
      c.vocab,
      c.merges,
      contextLength ?? c.contextLength,
      c.padId,
      c.specialTokens,
    );
  }
  throw new CladeError(`unknown tokenizer kind '${j?.kind}'; expected 'word' or 'clip-bpe'`, {
    file,
    field: 'kind',
  });
}

function text(file: string): string {
  return new TextDecoder().decode(readBytes(file));
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(text(file));
  } catch (e) {
    if (e instanceof CladeError) throw e;
    throw new CladeError(`invalid JSON: ${(e as Error).message}`, { file });
  }
}

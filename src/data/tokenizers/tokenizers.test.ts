import { afterAll, describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { ClipBpeTokenizer, bytesToUnicode, clipClean, ftfyFix } from './clip-bpe.ts';
import { WordTokenizer } from './word-tokenizer.ts';
import { clipTokenizer, loadTokenizer, tokenizerFromJSON } from './load-tokenizer.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-tok-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A tiny merge list: "hello" becomes one token, "café" (é = bytes C3 A9 → 'Ã', '©') becomes one token.
const MERGES = ['h e', 'l l', 'he ll', 'hell o</w>', 'Ã ©</w>', 'c a', 'ca f', 'caf Ã©</w>'];
const byteId = (b: number) => bytesToUnicode().findIndex(([x]) => x === b);

describe('CLIP byte-level BPE', () => {
  const tok = ClipBpeTokenizer.fromMerges(MERGES, 12);
  const SOT = 512 + MERGES.length;
  const EOT = SOT + 1;

  test('vocabulary construction as OpenAI: bytes, bytes</w>, merges, specials', () => {
    expect(tok.vocabSize).toBe(512 + MERGES.length + 2);
    expect(tok.vocab['!']).toBe(0);
    expect(tok.vocab['!</w>']).toBe(256);
    expect(tok.vocab['hello</w>']).toBe(515);
    expect([tok.sotId, tok.eotId]).toEqual([SOT, EOT]);
    const full = ClipBpeTokenizer.fromMerges(Array.from({ length: 48894 }, (_, i) => `x${i} y`));
    expect([full.sotId, full.eotId, full.vocabSize]).toEqual([49406, 49407, 49408]);
  });

  test('cleanup, lower-casing, split pattern, merges by rank, non-ASCII bytes', () => {
    expect(clipClean('  Hello &amp;amp;\n\t WORLD  ')).toBe('hello & world');
    const ids = tok.tokenize('Hello  WORLD!');
    const w = 'world'.split('').map((c) => byteId(c.charCodeAt(0)));
    expect(ids).toEqual([515, w[0], w[1], w[2], w[3], 256 + w[4], 256 + byteId(0x21)]);
    expect(tok.tokenize('Café')).toEqual([tok.vocab['cafÃ©</w>']]);
    expect(tok.tokenize("it's")).toEqual([
      byteId(0x69),
      256 + byteId(0x74),
      byteId(0x27),
      256 + byteId(0x73),
    ]);
    // 日 = E6 97 A5: three byte symbols, the last with </w>
    expect(tok.tokenize('日')).toEqual([byteId(0xe6), byteId(0x97), 256 + byteId(0xa5)]);
    expect(tok.decode(tok.encode(['Café 日本 hello!']).ids)).toBe('café 日本 hello !');
  });

  test('encode: start/end tokens, padding with 0, truncation keeps the end token, eotIndex', () => {
    const { ids, eotIndex, batch, contextLength } = tok.encode(['hello', 'a b c d e f g h i j k l m']);
    expect([batch, contextLength]).toEqual([2, 12]);
    expect(Array.from(ids.subarray(0, 12))).toEqual([SOT, 515, EOT, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(ids[12]).toBe(SOT);
    expect(ids[23]).toBe(EOT);
    expect(Array.from(eotIndex)).toEqual([2, 11]);
    expect(tok.decode(ids.subarray(12))).toBe('a b c d e f g h i j');
  });

  test('tokenizer.json, vocab.json + merges.txt and the OpenAI merges list give the same ids', () => {
    const vocab = { ...tok.vocab };
    const { '<|startoftext|>': s, '<|endoftext|>': e, ...base } = vocab;
    writeFileSync(
      join(dir, 'tokenizer.json'),
      JSON.stringify({
        model: {
          type: 'BPE',
          vocab: base,
          merges: MERGES.map((m) => m.split(' ')),
          end_of_word_suffix: '</w>',
        },
        added_tokens: [
          { id: s, content: '<|startoftext|>' },
          { id: e, content: '<|endoftext|>' },
        ],
      }),
    );
    writeFileSync(join(dir, 'vocab.json'), JSON.stringify(vocab));
    writeFileSync(join(dir, 'merges.txt'), ['#version: 0.2', ...MERGES].join('\n') + '\n');
    writeFileSync(
      join(dir, 'bpe.txt.gz'),
      gzipSync(['"bpe_simple_vocab_16e6.txt#version: 0.2', ...MERGES].join('\n')),
    );
    const texts = ['Hello café!', 'ÅNGSTRÖM 東京 123', "they're here"];
    const want = Array.from(tok.encode(texts).ids);
    for (const src of [
      { tokenizerJson: join(dir, 'tokenizer.json') },
      { vocab: join(dir, 'vocab.json'), merges: join(dir, 'merges.txt') },
      { openaiMerges: join(dir, 'bpe.txt.gz') },
    ])
      expect(Array.from(loadTokenizer(src, { contextLength: 12 }).encode(texts).ids)).toEqual(want);
    expect(Array.from(tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON()))).encode(texts).ids)).toEqual(
      want,
    );
  });

  test('bad input names the file and field', () => {
    writeFileSync(join(dir, 'wp.json'), JSON.stringify({ model: { type: 'WordPiece', vocab: {} } }));
    expect(() => loadTokenizer({ tokenizerJson: join(dir, 'wp.json') })).toThrow(
      `${join(dir, 'wp.json')}: field model: expected a BPE model`,
    );
    writeFileSync(join(dir, 'broken.json'), '{');
    expect(() => loadTokenizer({ saved: join(dir, 'broken.json') })).toThrow(/broken.json: invalid JSON/);
    expect(() => new ClipBpeTokenizer({ a: 0 }, [])).toThrow(/lacks <\|startoftext\|>/);
  });
});

describe('word-level tokenizer', () => {
  const corpus = ['a photo of Pica pica.', 'a photo of Pica hudsonia.', 'A café photo!'];
  const tok = WordTokenizer.fromCorpus(corpus, { contextLength: 8 });

  test('vocabulary: specials, then by frequency, ties alphabetical; lower-cased', () => {
    expect(tok.vocab.slice(0, 4)).toEqual(['<pad>', '<unk>', '<sot>', '<eot>']);
    expect(tok.vocab.slice(4)).toEqual(['a', 'photo', 'pica', '.', 'of', '!', 'café', 'hudsonia']);
    expect(WordTokenizer.fromCorpus(corpus, { minCount: 2 }).vocab.slice(4)).toEqual([
      'a',
      'photo',
      'pica',
      '.',
      'of',
    ]);
    expect(WordTokenizer.fromCorpus(corpus, { maxVocab: 6 }).vocabSize).toBe(6);
  });

  test('encode with unknown words, truncation and padding', () => {
    const { ids, eotIndex } = tok.encode(['A photo of a Dog.', 'café café café café café café café']);
    expect(Array.from(ids.subarray(0, 8))).toEqual([2, 4, 5, 8, 4, 1, 7, 3]);
    expect(Array.from(ids.subarray(8))).toEqual([2, 10, 10, 10, 10, 10, 10, 3]);
    expect(Array.from(eotIndex)).toEqual([7, 7]);
    expect(Array.from(tok.encode(['pica']).ids)).toEqual([2, 6, 3, 0, 0, 0, 0, 0]);
    expect(tok.decode(tok.encode(['Café photo']).ids)).toBe('café photo');
  });

  test('save and load as JSON', () => {
    const f = join(dir, 'word.json');
    writeFileAtomic(f, JSON.stringify(tok.toJSON()));
    const back = loadTokenizer({ saved: f });
    expect(back.kind).toBe('word');
    expect(Array.from(back.encode(corpus).ids)).toEqual(Array.from(tok.encode(corpus).ids));
    expect(() => new WordTokenizer(['a', 'b'])).toThrow(/must start with <pad>/);
  });
});

describe('the shipped CLIP BPE (open_clip SimpleTokenizer)', () => {
  const tok = clipTokenizer();
  test('49,408 tokens, open_clip ids for the fixture texts', () => {
    expect(tok.vocabSize).toBe(49408);
    expect([tok.sotId, tok.eotId]).toEqual([49406, 49407]);
    const ref = JSON.parse(
      readFileSync(
        join(import.meta.dirname, '../../../test/fixtures/open_clip/tiny-vit-gelu/reference.json'),
        'utf8',
      ),
    ) as { texts: string[]; input_ids: number[][] };
    ref.texts.forEach((t, i) => expect([tok.sotId, ...tok.tokenize(t), tok.eotId]).toEqual(ref.input_ids[i]));
  });
  test("open_clip's special-token names are matched in text, case-insensitively", () => {
    expect(tok.tokenize('a <END_OF_TEXT> b')).toEqual([...tok.tokenize('a'), 49407, ...tok.tokenize('b')]);
  });
  test('ftfy clean-up: curly quotes, ligatures, full-width forms, control characters, entities', () => {
    expect(ftfyFix('“ﬁsh” ‘n’ chips\u3000ＯＫ\u0007\ufeff')).toBe('"fish" \'n\' chips OK');
    expect(ftfyFix('a &lt;b&gt; &amp;')).toBe('a <b> &');
    expect(ftfyFix('x < y &amp; z')).toBe('x < y &amp; z'); // ftfy leaves entities alone in text that has '<'
    expect(clipClean('Lewis’s  Woodpecker &amp;amp;amp;')).toBe("lewis's woodpecker &");
    expect(tok.tokenize('Lewis’s woodpecker')).toEqual(tok.tokenize("Lewis's woodpecker"));
  });
  test('toJSON refers to the shipped vocabulary and loads back', () => {
    const json = JSON.parse(JSON.stringify(tok.toJSON()));
    expect(json).toEqual({ kind: 'clip-bpe', builtin: 'clip', contextLength: 77 });
    const back = tokenizerFromJSON(json, 32);
    expect(back.contextLength).toBe(32);
    expect(Array.from(back.encode(['a photo of a bird']).ids.subarray(0, 6))).toEqual(
      Array.from(tok.encode(['a photo of a bird']).ids.subarray(0, 6)),
    );
  });
});

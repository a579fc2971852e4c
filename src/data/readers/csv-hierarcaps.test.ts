import { afterAll, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { columnIndex, parseCsv } from './csv.ts';
import { readHierarCaps, readHierarCapsExpanded, splitChain } from './hierarcaps.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseCsv (RFC 4180)', () => {
  test('quotes, escaped quotes, quoted newlines, CRLF, BOM, empty fields, line numbers', () => {
    const t = parseCsv('\ufeffa,b,c\r\n1,"x, ""y""",\r\n2,"multi\nline",z\n\n3,,"" \n');
    expect(t.header).toEqual(['a', 'b', 'c']);
    expect(t.rows).toEqual([
      ['1', 'x, "y"', ''],
      ['2', 'multi\nline', 'z'],
      ['3', '', ' '],
    ]);
    expect(t.lines).toEqual([2, 3, 6]);
    expect(parseCsv('a\tb\n1\t2', { delimiter: '\t' }).rows).toEqual([['1', '2']]);
  });
  test('errors: unterminated quote names file and line; missing column names it', () => {
    expect(() => parseCsv('a,b\n1,2\n3,"open\n', { file: 'f.csv' })).toThrow(
      'f.csv: line 3: unterminated quoted field',
    );
    expect(() => columnIndex(parseCsv('a,b\n'), ['a', 'zz'], 'f.csv')).toThrow(
      "f.csv: row 0: column zz: missing column 'zz'",
    );
  });
});

describe('HierarCaps', () => {
  test('test CSV: chains split on => and trimmed; 64x64 planar images', () => {
    writeFileSync(
      join(dir, 'test.csv'),
      'id,captions,image_url\n1,"animal => dog => dog, running => A dog running\non grass",u1\n0,a => b => c => d,u0\n',
    );
    const img = new Uint8Array(2 * 12288);
    for (let r = 0; r < 2; r++)
      for (let c = 0; c < 3; c++) img[r * 12288 + c * 4096 + 64 + 2] = 10 * r + c + 1; // (y=1, x=2)
    writeFileSync(join(dir, 'img.bin'), img);
    const ds = readHierarCaps(join(dir, 'test.csv'), { images: join(dir, 'img.bin') });
    expect(ds.length).toBe(2);
    expect(ds.get(0).captions).toEqual(['animal', 'dog', 'dog, running', 'A dog running\non grass']);
    expect(ds.get(0).id).toBe('u1');
    const px = ds.get(0).image!.data.subarray((64 + 2) * 3, (64 + 2) * 3 + 3);
    expect(Array.from(px)).toEqual([11, 12, 13]); // row id 1 → record 1
    expect(Array.from(ds.get(1).image!.data.subarray(66 * 3, 66 * 3 + 3))).toEqual([1, 2, 3]);
    expect(splitChain(' a=>b  =>c ')).toEqual(['a', 'b', 'c']);
  });
  test('bad rows: wrong level count fails naming row and column, or is skipped and reported', () => {
    const f = join(dir, 'bad.csv');
    writeFileSync(f, 'id,captions,image_url\n0,a => b => c => d,u\n1,a => b,u\n');
    expect(() => readHierarCaps(f)).toThrow(
      `${f}: row 2: line 3: column captions: expected 4 non-empty levels`,
    );
    const ds = readHierarCaps(f, { onError: 'skip' });
    expect(ds.length).toBe(1);
    expect(ds.skipped[0].where).toBe(`${f}: row 2: line 3: column captions`);
    writeFileSync(join(dir, 'short.bin'), new Uint8Array(12288));
    expect(() => readHierarCaps(join(dir, 'test.csv'), { images: join(dir, 'short.bin') })).toThrow(
      /id 1 has no image/,
    );
  });
  test('expanded file (gzip): positive and negative chains', () => {
    const f = join(dir, 'exp.csv.gz');
    writeFileSync(
      f,
      gzipSync(
        'positive,negative,image_url\n"a => b => c => d","w => x => y\n => z",u\nq => r,a => b => c => d,v\n',
      ),
    );
    expect(() => readHierarCapsExpanded(f)).toThrow(/row 2: line 4: column positive: expected 4 levels/);
    const { pairs, skipped } = readHierarCapsExpanded(f, { onError: 'skip' });
    expect(pairs).toEqual([
      { positive: ['a', 'b', 'c', 'd'], negative: ['w', 'x', 'y', 'z'], imageUrl: 'u', row: 1 },
    ]);
    expect(skipped).toHaveLength(1);
  });
});

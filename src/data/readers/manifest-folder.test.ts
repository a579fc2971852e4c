import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { readManifest, type ManifestColumns } from './manifest.ts';
import { readImageFolder } from './image-folder.ts';
import { decodeDataset, decodeImage, withImage } from './decode-image.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-man-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 6x4 image whose pixel (x, y) = (40x, 50y, v). */
function raw(v: number): Buffer {
  const b = Buffer.alloc(6 * 4 * 3);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 6; x++) b.set([40 * x, 50 * y, v], (y * 6 + x) * 3);
  return b;
}
const RAW = { raw: { width: 6, height: 4, channels: 3 as const } };

beforeAll(async () => {
  for (const [cls, file, fmt] of [
    ['dog', 'a.png', 'png'],
    ['dog', 'B.WEBP', 'webp'],
    ['cat', 'c.jpg', 'jpeg'],
  ] as const) {
    mkdirSync(join(dir, 'folder', cls), { recursive: true });
    const img = sharp(raw(200), RAW);
    const out =
      fmt === 'png' ? img.png() : fmt === 'webp' ? img.webp({ lossless: true }) : img.jpeg({ quality: 95 });
    await out.toFile(join(dir, 'folder', cls, file));
  }
  writeFileSync(join(dir, 'folder', 'cat', 'notes.txt'), 'ignored');
  writeFileSync(join(dir, 'folder', 'cat', 'broken.png'), 'not a png');
});

describe('ImageFolder', () => {
  test('classes sorted, extensions case-insensitive, lossless pixels exact, JPEG close', async () => {
    const ds = await readImageFolder(join(dir, 'folder'), { decode: true, onError: 'skip' });
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect(ds.length).toBe(3);
    expect(Array.from(ds.labels)).toEqual([0, 1, 1]);
    expect(ds.skipped).toHaveLength(1);
    expect(ds.skipped[0].where).toBe(join(dir, 'folder', 'cat', 'broken.png'));
    for (const i of [1, 2]) expect(Buffer.from(ds.get(i).image!.data).equals(raw(200))).toBe(true); // PNG, WebP lossless
    const jpg = ds.get(0).image!;
    expect(jpg).toMatchObject({ width: 6, height: 4, channels: 3 });
    let maxErr = 0;
    raw(200).forEach((v, k) => (maxErr = Math.max(maxErr, Math.abs(v - jpg.data[k]))));
    expect(maxErr).toBeLessThan(40);
  });
  test('a file that fails to decode names the file', async () => {
    await expect(readImageFolder(join(dir, 'folder'), { decode: true })).rejects.toThrow(
      `${join(dir, 'folder', 'cat', 'broken.png')}: image failed to decode`,
    );
    const lazy = await readImageFolder(join(dir, 'folder'));
    expect(lazy.length).toBe(4);
    expect(lazy.get(1).image).toBeUndefined();
    expect((await withImage(lazy.get(3))).image!.width).toBe(6);
    expect((await decodeImage(join(dir, 'folder', 'dog', 'a.png'), { channels: 1 })).channels).toBe(1);
  });
});

describe('manifests (CSV, JSONL, Parquet)', () => {
  const columns: ManifestColumns = {
    image: 'path',
    captions: ['caption'],
    ranks: ['genus', 'species'],
    common: 'common',
    variants: ['sex'],
    traits: ['beak'],
    tabular: ['beak', 'mass'],
    attributes: ['habitat'],
    split: 'split',
  };
  const rows = [
    {
      path: 'dog/a.png',
      caption: 'a bird',
      genus: 'Pica',
      species: 'pica',
      common: 'magpie',
      sex: 'male',
      beak: 1.5,
      mass: 200,
      habitat: 'forest',
      split: 'train',
    },
    {
      path: 'x/b.png',
      caption: 'another',
      genus: 'Corvus',
      species: '',
      common: 'crow',
      sex: 'NA',
      beak: 2.5,
      mass: null,
      habitat: 'city',
      split: 'val',
    },
    {
      path: '/abs/c.png',
      caption: 'third',
      genus: 'Pica',
      species: 'pica',
      common: 'magpie',
      sex: 'female',
      beak: 1.0,
      mass: 180,
      habitat: 'forest',
      split: 'train',
    },
  ];
  const cols = Object.keys(rows[0]) as (keyof (typeof rows)[0])[];
  const csv = [
    cols.join(','),
    ...rows.map((r) => cols.map((c) => (r[c] === null ? 'NA' : String(r[c]))).join(',')),
  ].join('\n');

  const check = async (file: string) => {
    const ds = await readManifest(file, { columns });
    expect(ds.length).toBe(3);
    expect(ds.classNames).toEqual(['Corvus', 'Pica pica']); // sorted lineages; missing epithet → genus name
    expect(ds.taxonomy!.lineage(0)).toEqual(['Corvus', null]);
    expect(Array.from(ds.labels)).toEqual([1, 0, 1]);
    const s = ds.get(0);
    expect(s.imagePath).toBe(join(dir, 'dog/a.png'));
    expect(s.captions).toEqual(['a bird']);
    expect(s.lineage).toEqual(['Pica', 'pica']);
    expect(s.variants).toEqual({ sex: 'male' });
    expect(s.traits).toEqual({ beak: 1.5 });
    expect(Array.from(s.tabular!)).toEqual([1.5, 200]);
    expect(s.attributes).toEqual({ habitat: 'forest' });
    expect(s.split).toBe('train');
    expect(ds.get(1).variants).toEqual({});
    expect(Number.isNaN(ds.get(1).tabular![1])).toBe(true);
    expect(ds.get(2).imagePath).toBe('/abs/c.png');
    expect((await readManifest(file, { columns, split: 'train' })).length).toBe(2);
  };

  test('CSV', async () => {
    writeFileSync(join(dir, 'm.csv'), csv);
    await check(join(dir, 'm.csv'));
  });
  test('JSONL, with caption arrays', async () => {
    writeFileSync(join(dir, 'm.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    await check(join(dir, 'm.jsonl'));
    writeFileSync(join(dir, 'c.jsonl'), JSON.stringify({ path: 'a.png', caps: ['one', ' two '] }));
    expect(
      (await readManifest(join(dir, 'c.jsonl'), { columns: { image: 'path', captions: ['caps'] } })).get(0)
        .captions,
    ).toEqual(['one', 'two']);
  });
  test('Parquet', async () => {
    const columnData = cols.map((c) => ({
      name: c,
      data: rows.map((r) => r[c]),
      type: typeof rows[0][c] === 'number' ? ('DOUBLE' as const) : ('STRING' as const),
    }));
    writeFileSync(join(dir, 'm.parquet'), new Uint8Array(parquetWriteBuffer({ columnData })));
    await check(join(dir, 'm.parquet'));
  });
  test('decodeDataset: manifest images decoded up front; undecodable files fail or are skipped', async () => {
    const f = join(dir, 'img.csv');
    writeFileSync(f, 'path,caption\nfolder/dog/a.png,x\nfolder/cat/broken.png,y\nfolder/dog/B.WEBP,z\n');
    const m = await readManifest(f, { columns: { image: 'path', captions: ['caption'] } });
    await expect(decodeDataset(m)).rejects.toThrow(
      `${join(dir, 'folder/cat/broken.png')}: record 1: image failed to decode`,
    );
    const d = await decodeDataset(m, { onError: 'skip' });
    expect(d.length).toBe(2);
    expect(d.get(1).captions).toEqual(['z']);
    expect(d.get(1).index).toBe(1);
    expect(Buffer.from(d.get(1).image!.data).equals(raw(200))).toBe(true);
    expect(d.skipped).toHaveLength(1);
  });

  test('bad input: missing column, missing required value, non-numeric value, bad JSON line', async () => {
    const f = join(dir, 'm.csv');
    await expect(readManifest(f, { columns: { ...columns, ranks: ['family', 'genus'] } })).rejects.toThrow(
      `${f}: row 0: column family: missing column 'family'`,
    );
    writeFileSync(join(dir, 'bad.csv'), 'path,beak\na.png,1\n,2\nc.png,xx\n');
    await expect(
      readManifest(join(dir, 'bad.csv'), { columns: { image: 'path', traits: ['beak'] } }),
    ).rejects.toThrow(`${join(dir, 'bad.csv')}: row 2: column path: required value is missing`);
    const skipped = await readManifest(join(dir, 'bad.csv'), {
      columns: { image: 'path', traits: ['beak'] },
      onError: 'skip',
    });
    expect(skipped.length).toBe(1);
    expect(skipped.skipped.map((s) => s.where)).toEqual([
      `${join(dir, 'bad.csv')}: row 2: column path`,
      `${join(dir, 'bad.csv')}: row 3: column beak`,
    ]);
    writeFileSync(join(dir, 'bad.jsonl'), '{"path":"a"}\n{oops\n');
    await expect(readManifest(join(dir, 'bad.jsonl'), { columns: { image: 'path' } })).rejects.toThrow(
      /bad.jsonl: line 2: invalid JSON/,
    );
    writeFileSync(join(dir, 'short.csv'), 'path,beak\na.png\n');
    await expect(readManifest(join(dir, 'short.csv'), { columns: { image: 'path' } })).rejects.toThrow(
      /row 1: line 2: has 1 fields, header has 2/,
    );
  });
});

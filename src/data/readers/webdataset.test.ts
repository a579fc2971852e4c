import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { pack } from 'tar-stream';
import { expandBraces } from './braces.ts';
import { splitName, webDataset } from './webdataset.ts';
import { withImage } from './decode-image.ts';
import { samplesOf, writeWebDataset } from './webdataset-writer.ts';
import { syntheticTaxonomy } from '../synthetic/synthetic-taxonomy.ts';
import type { Sample } from '../types.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-wds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function tar(members: [string, Uint8Array | string][]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const end = new Promise<void>((r) => p.on('end', () => r()));
  for (const [name, data] of members) p.entry({ name }, typeof data === 'string' ? data : Buffer.from(data));
  p.finalize();
  await end;
  return Buffer.concat(chunks);
}

async function png(v: number): Promise<Uint8Array> {
  return sharp(Buffer.alloc(4 * 4 * 3, v), { raw: { width: 4, height: 4, channels: 3 } })
    .png()
    .toBuffer();
}

async function collect(it: AsyncIterable<Sample>): Promise<Sample[]> {
  const out: Sample[] = [];
  for await (const s of it) out.push(s);
  return out;
}

beforeAll(async () => {
  for (let s = 0; s < 3; s++) {
    const members: [string, Uint8Array | string][] = [];
    for (let i = 0; i < 4; i++) {
      const key = `s${s}/${String(i).padStart(3, '0')}`;
      members.push(
        [`${key}.png`, await png(10 * s + i)],
        [`${key}.sci.txt`, `sci ${s}-${i}`],
        [`${key}.txt`, ` cap ${s}-${i} `],
      );
      members.push(
        [`${key}.cls`, String(s)],
        [`${key}.json`, JSON.stringify({ habitat: 'reef', beak: i / 2 })],
      );
    }
    writeFileSync(join(dir, `shard-${String(s).padStart(4, '0')}.tar`), await tar(members));
  }
});

describe('WebDataset', () => {
  test('brace patterns and member keys', () => {
    expect(expandBraces('a/shard-{0000..0002}.tar')).toEqual([
      'a/shard-0000.tar',
      'a/shard-0001.tar',
      'a/shard-0002.tar',
    ]);
    expect(expandBraces('{x,y}-{8..10}')).toEqual(['x-8', 'x-9', 'x-10', 'y-8', 'y-9', 'y-10']);
    expect(expandBraces('a.tar::b-{1..2}.tar')).toEqual(['a.tar', 'b-1.tar', 'b-2.tar']);
    expect(() => expandBraces('shard-{0..3.tar')).toThrow(/unmatched '\{'/);
    expect(splitName('dir.v1/abc.sci.TXT')).toEqual({ key: 'dir.v1/abc', ext: 'sci.txt' });
  });

  test('members grouped by key into typed samples, shard order kept without shuffling', async () => {
    const wds = webDataset(join(dir, 'shard-{0000..0002}.tar'), { shuffleShards: false });
    const all = await collect(wds.stream());
    expect(all).toHaveLength(12);
    const s = all[5];
    expect(s.id).toBe(`${join(dir, 'shard-0001.tar')}/s1/001`);
    expect(s.label).toBe(1);
    expect(s.captions).toEqual(['cap 1-1', 'sci 1-1']);
    expect(s.texts).toEqual({ txt: 'cap 1-1', sci: 'sci 1-1' });
    expect(s.attributes).toEqual({ habitat: 'reef' });
    expect(s.traits).toEqual({ beak: 0.5 });
    expect(s.image).toMatchObject({ width: 4, height: 4, channels: 3 });
    expect(Array.from(s.image!.data.subarray(0, 3))).toEqual([11, 11, 11]);
  });

  test('shard shuffling and the sample buffer: seeded, per epoch, a permutation', async () => {
    const wds = webDataset(join(dir, 'shard-{0000..0002}.tar'), { bufferSize: 5, decode: false });
    const ids = async (seed: number, epoch: number) =>
      (await collect(wds.stream({ seed, epoch }))).map((s) => s.id);
    const a = await ids(1, 0);
    expect(await ids(1, 0)).toEqual(a);
    expect(new Set(a).size).toBe(12);
    const orders = new Set<string>();
    for (let e = 0; e < 6; e++) orders.add((await ids(1, e)).join());
    expect(orders.size).toBeGreaterThan(3);
    const noBuffer = webDataset(join(dir, 'shard-{0000..0002}.tar'), { decode: false });
    const byShard = (await collect(noBuffer.stream({ seed: 2 }))).map((s) => s.label);
    expect(byShard.slice(0, 4).every((l) => l === byShard[0])).toBe(true); // a shard's samples stay together
  });

  test('a shard cut mid-member names the shard and member; skip keeps earlier samples and reports', async () => {
    const full = readFileSync(join(dir, 'shard-0000.tar'));
    // cut inside the data of member s0/002.png: find its header, cut 100 bytes into the data
    const at = full.indexOf(Buffer.from('s0/002.png'));
    const cut = join(dir, 'cut.tar');
    writeFileSync(cut, full.subarray(0, at + 512 + 20));
    await expect(collect(webDataset(cut).stream())).rejects.toThrow(
      `${cut}: member s0/002.png: shard cut or corrupt`,
    );
    const wds = webDataset([cut, join(dir, 'shard-0001.tar')], {
      onError: 'skip',
      shuffleShards: false,
      decode: false,
    });
    const got = await collect(wds.stream());
    expect(got.map((s) => s.id.split('/').slice(-2).join('/'))).toEqual([
      's0/000',
      's0/001',
      's1/000',
      's1/001',
      's1/002',
      's1/003',
    ]);
    expect(wds.skipped).toHaveLength(1);
    expect(wds.skipped[0].where).toBe(`${cut}: member s0/002.png`);
  });

  test('an image that fails to decode names the member', async () => {
    const f = join(dir, 'badimg.tar');
    writeFileSync(
      f,
      await tar([
        ['k1.jpg', 'not a jpeg'],
        ['k1.txt', 'x'],
        ['k2.png', await png(3)],
      ]),
    );
    await expect(collect(webDataset(f).stream())).rejects.toThrow(
      `${f}: member k1.jpg: image failed to decode`,
    );
    const wds = webDataset(f, { onError: 'skip' });
    expect((await collect(wds.stream())).map((s) => s.id)).toEqual([`${f}/k2`]);
    expect(wds.skipped[0].where).toBe(`${f}: member k1.jpg`);
  });

  test('writeWebDataset → webDataset round trip of synthetic-taxonomy is exact', async () => {
    const ds = syntheticTaxonomy({ seed: 5, perSpecies: 2 });
    const shards = await writeWebDataset(samplesOf(ds), join(dir, 'rt'), { maxPerShard: 50 });
    expect(shards.map((s) => s.slice(-16))).toEqual([
      'shard-000000.tar',
      'shard-000001.tar',
      'shard-000002.tar',
    ]);
    const back = await collect(webDataset(shards, { shuffleShards: false }).stream());
    expect(back).toHaveLength(120);
    for (const i of [0, 49, 50, 119]) {
      const [a, b] = [ds.get(i), back[i]];
      expect(Buffer.from(b.image!.data).equals(Buffer.from(a.image!.data))).toBe(true);
      expect(b.label).toBe(a.label);
      expect(b.captions).toEqual(a.captions);
      expect(b.texts).toEqual(a.texts);
      expect(b.lineage).toEqual(a.lineage);
      expect(b.variants).toEqual(a.variants);
      expect(b.traits).toEqual(a.traits);
      expect(b.attributes).toEqual(a.attributes);
      expect(Array.from(b.tabular!)).toEqual(Array.from(a.tabular!));
      expect(b.split).toBe('train');
    }
  });

  test("BioCLIP's shard layout: the five text types are the captions; names files stay out; bytes kept undecoded", async () => {
    const f = join(dir, 'bioclip.tar');
    const types = ['taxon_com', 'sci', 'com', 'taxon', 'sci_com']; // any member order
    writeFileSync(
      f,
      await tar([
        [
          '0001.jpg',
          await sharp(Buffer.alloc(8 * 8 * 3, 90), { raw: { width: 8, height: 8, channels: 3 } })
            .jpeg()
            .toBuffer(),
        ],
        ...types.map((t): [string, string] => [`0001.${t}.txt`, `a photo of ${t}.`]),
        ['0001.scientific_name.txt', 'Pica hudsonia'],
        ['0001.taxonTag.txt', 'a photo of kingdom Animalia.'],
      ]),
    );
    const [s] = await collect(webDataset(f, { decode: false }).stream());
    expect(s.captions).toEqual(
      ['taxon', 'sci', 'com', 'sci_com', 'taxon_com'].map((t) => `a photo of ${t}.`),
    );
    expect(s.texts!.scientific_name).toBe('Pica hudsonia');
    expect(s.image).toBeUndefined();
    expect(s.imageBytes![0]).toBe(0xff); // JPEG SOI
    const decoded = await withImage(s);
    expect(decoded.image).toMatchObject({ width: 8, height: 8, channels: 3 });
    expect(decoded.imageBytes).toBeUndefined();
  });
});

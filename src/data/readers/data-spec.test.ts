import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { readChains } from './chains.ts';
import { parseDataSpec } from './data-spec.ts';
import { openDataSplits, openDataset } from './open-dataset.ts';
import type { ManifestDataset } from './manifest.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-data-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const csv = join(dir, 'photos.csv');
writeFileSync(
  csv,
  [
    'path,kingdom,phylum,class,order,family,genus,species,vernacular,habitat,len,fold',
    'a.jpg,Animalia,Chordata,Aves,Passeriformes,Corvidae,Pica,hudsonia,black-billed magpie,grassland,45,train',
    'b.jpg,Animalia,Chordata,Aves,Passeriformes,Corvidae,Pica,,,,40,val',
    'c.jpg,Animalia,Chordata,Aves,,Corvidae,Corvus,corax,common raven,cliff,60,train',
    'd.jpg,Plantae,,,,,,,,,NA,train',
  ].join('\n'),
);
const RANKS = 'kingdom,phylum,class,order,family,genus,species';

test('a manifest spec names rank, common-name, attribute, tabular and split columns; rows get the five texts', async () => {
  const spec = parseDataSpec(
    `${csv}?image=path&ranks=${RANKS}&common=vernacular&attributes=habitat&tabular=len&split=fold`,
  );
  expect(spec).toMatchObject({
    kind: 'manifest',
    file: csv,
    columns: { image: 'path', ranks: RANKS.split(','), common: 'vernacular', attributes: ['habitat'] },
    validation: { column: 'fold', value: 'val' },
  });
  const ds = (await openDataset(spec)) as ManifestDataset;
  const magpie = ds.get(0);
  expect(magpie.texts).toEqual({
    taxon: 'a photo of Animalia Chordata Aves Passeriformes Corvidae Pica hudsonia.',
    sci: 'a photo of Pica hudsonia.',
    com: 'a photo of black-billed magpie.',
    sci_com: 'a photo of Pica hudsonia with common name black-billed magpie.',
    taxon_com:
      'a photo of Animalia Chordata Aves Passeriformes Corvidae Pica hudsonia with common name black-billed magpie.',
  });
  expect(magpie.captions).toEqual(Object.values(magpie.texts!)); // TEXT_TYPES order
  expect(magpie.attributes).toEqual({ habitat: 'grassland' });
  expect(Array.from(magpie.tabular!)).toEqual([45]);
  // a missing species stops the text at the genus; a missing order is skipped (BioCLIP's taxonomic name)
  expect(ds.get(1).texts!.taxon).toBe('a photo of Animalia Chordata Aves Passeriformes Corvidae Pica.');
  expect(ds.get(1).texts!.sci).toBe('a photo of Pica.');
  expect(ds.get(1).texts!.com).toBe('a photo of Pica.');
  expect(ds.get(2).texts!.taxon_com).toBe(
    'a photo of Animalia Chordata Aves Corvidae Corvus corax with common name common raven.',
  );
  expect(ds.get(3).texts!.taxon).toBe('a photo of Plantae.');
  expect(ds.taxonomy!.size).toBe(4);

  const { train, val } = await openDataSplits(spec);
  expect([(train as { length: number }).length, val!.length]).toEqual([3, 1]);
  expect(val!.get(0).imagePath).toBe(join(dir, 'b.jpg'));
});

test('a seeded validation fraction is the same on every run and differs by seed', async () => {
  const rows = ['path,y', ...Array.from({ length: 100 }, (_, i) => `${i}.jpg,${i % 3}`)];
  writeFileSync(join(dir, 'many.csv'), rows.join('\n'));
  const ids = async (seed: number) => {
    const { train, val } = await openDataSplits(
      parseDataSpec(`${join(dir, 'many.csv')}?image=path&label=y&valFraction=0.2&seed=${seed}`),
    );
    expect((train as { length: number }).length + val!.length).toBe(100);
    return Array.from({ length: val!.length }, (_, i) => val!.get(i).id);
  };
  const a = await ids(1);
  expect(a).toHaveLength(20);
  expect(await ids(1)).toEqual(a);
  expect(await ids(2)).not.toEqual(a);
});

test('webdataset, chains and built-in specs', () => {
  expect(parseDataSpec('webdataset:shards/train-{0000..0099}.tar?buffer=1000&onError=skip')).toEqual({
    kind: 'webdataset',
    pattern: 'shards/train-{0000..0099}.tar',
    bufferSize: 1000,
    shuffleShards: undefined,
    decode: false,
    onError: 'skip',
  });
  expect(parseDataSpec('synthetic-taxonomy:train:3', { seed: 7 })).toMatchObject({
    kind: 'synthetic-taxonomy',
    seed: 7,
    split: 'train',
    perSpecies: 3,
  });
  mkdirSync(join(dir, 'folder', 'cat'), { recursive: true });
  expect(parseDataSpec(join(dir, 'folder'))).toEqual({ kind: 'image-folder', root: join(dir, 'folder') });
  expect(parseDataSpec(`chains:${csv}?positive=path`)).toMatchObject({ kind: 'chains', positive: 'path' });
});

test('bad specs: unknown options get the closest name, bad values and combinations say what was expected', async () => {
  expect(() => parseDataSpec(`${csv}?image=path&rank=${RANKS}`)).toThrow(
    `data ${csv}?image=path&rank=${RANKS}: unknown option 'rank' — did you mean 'ranks'?`,
  );
  expect(() => parseDataSpec('webdataset:x.tar?bufer=10')).toThrow(
    "unknown option 'bufer' — did you mean 'buffer'?",
  );
  expect(() => parseDataSpec('webdataset:x.tar?buffer=-1')).toThrow(
    "option 'buffer' must be an integer ≥ 0, got '-1'",
  );
  expect(() => parseDataSpec(`${csv}?valFraction=1.5`)).toThrow(
    "option 'valFraction' must be a fraction in (0, 1)",
  );
  expect(() => parseDataSpec(`${csv}?split=fold&valFraction=0.1`)).toThrow("either 'split'");
  expect(() => parseDataSpec(`${csv}?ranks=genus,genus`)).toThrow('names a column twice');
  expect(() => parseDataSpec(`${csv}?onError=ignore`)).toThrow("must be 'fail' or 'skip', got 'ignore'");
  expect(() => parseDataSpec(join(dir, 'nope.csv'))).toThrow('no such file or folder');
  // columns are checked when the file is read: the file, the column and the closest header name
  await expect(openDataset(parseDataSpec(`${csv}?image=path&ranks=kingdom,phylm`))).rejects.toThrow(
    `${csv}: row 0: column phylm: missing column 'phylm' — did you mean 'phylum'?`,
  );
});

test('HierarCaps-format chains: given negatives, or drawn (seeded) from rows differing at every level', () => {
  const f = join(dir, 'chains.csv');
  writeFileSync(
    f,
    [
      'positive,negative',
      'animal => dog => dog on grass => a brown dog running on grass,plant => tree => tree in snow => a pine tree covered in snow',
      '"bird => blue bird => bird, on branch => a blue bird on a branch",food => cake => cake on table => a chocolate cake',
    ].join('\n'),
  );
  const ds = readChains(f);
  expect(ds.length).toBe(2);
  expect(ds.get(1).captions).toEqual([
    'bird',
    'blue bird',
    'bird, on branch',
    'a blue bird on a branch',
    'food',
    'cake',
    'cake on table',
    'a chocolate cake',
  ]);
  const g = join(dir, 'test-chains.csv');
  writeFileSync(
    g,
    ['id,captions', '0,a => b => c', '1,d => e => f', '2,g => h => i', '3,a => x => y'].join('\n'),
  );
  const t = readChains(g, { seed: 3 });
  for (const c of t.chains) expect(c.negative.every((n, k) => n !== c.positive[k])).toBe(true);
  expect(readChains(g, { seed: 3 }).chains).toEqual(t.chains);
  writeFileSync(join(dir, 'bad.csv'), 'captions\na => b => c\nd => e\nf => g => h\n');
  expect(() => readChains(join(dir, 'bad.csv'))).toThrow(
    `${join(dir, 'bad.csv')}: row 2: line 3: column captions: expected 3 non-empty levels separated by '=>', got 2 of 2`,
  );
  expect(readChains(join(dir, 'bad.csv'), { onError: 'skip' }).skipped).toHaveLength(1);
});

import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { resolveConfig } from '../resolve-config.ts';
import { runTraining } from '../run.ts';
import { writeTinyCifar100 } from '../../../test/support/cifar.ts';
import { writeSpecFixture, type SpecFixture } from '../../../test/support/spec-fixtures.ts';

// Every recipe trains a few steps from a generated ImageFolder and from a Parquet manifest with rank columns
// (`recipeConfig.data`), evaluating kNN (and zero-shot by rank where there is a text tower) on the manifest's
// validation split at `train.evalEvery`.

const dir = mkdtempSync(join(tmpdir(), 'clade-spec-recipes-'));
let f: SpecFixture;
let parquet: string;
beforeAll(async () => {
  f = await writeSpecFixture(dir, 8);
  parquet = `${f.parquet}?image=path&ranks=genus,species&common=common&split=split&tabular=wing,mass`;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const text = { textWidth: 8, textDepth: 1, textHeads: 1, contextLength: 16 };
const imageText = { size: 16, batchSize: 8, embedDim: 8, imageChannels: [4, 4, 4], ...text };
const omit = (o: Record<string, unknown>, k: string) =>
  Object.fromEntries(Object.entries(o).filter(([x]) => x !== k));
const cifar = { batchSize: 8, encoder: { arch: 'cnn', channels: [4, 4, 4] } };
const RECIPES: Record<string, Record<string, unknown>> = {
  'clip-taxonomy': imageText,
  clipin: { ...omit(imageText, 'embedDim'), preDim: 8, clipDim: 8, ncDim: 8, predHidden: 8 },
  'clip-replay': imageText, // replayData added below
  'supervised-cifar': cifar,
  'simclr-cifar': { ...cifar, projectionHidden: 8, projectionDim: 8 },
  'moco-cifar': { ...cifar, projectionHidden: 8, projectionDim: 8, queueSize: 32 },
  'byol-cifar': { ...cifar, projectionHidden: 8, projectionDim: 8, predictorHidden: 8 },
};

async function trainOn(recipe: string, recipeConfig: Record<string, unknown>, evalEvery: number) {
  const out = mkdtempSync(join(dir, `${recipe}-`));
  const cfg = resolveConfig({
    recipe,
    recipeConfig,
    train: { steps: 2, warmup: 1, evalEvery, checkpointEvery: 2 },
  });
  const run = await runTraining(cfg, { outDir: out, quiet: true });
  const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  return { run, lines };
}

describe('every recipe trains from a data SPEC', () => {
  for (const [name, base] of Object.entries(RECIPES))
    test(`${name}: ImageFolder, and a Parquet manifest with ranks + kNN on its validation split`, async () => {
      const replay = name === 'clip-replay' ? { replayData: `${f.csv}?image=path&captions=caption` } : {};
      const a = await trainOn(name, { ...base, ...replay, data: f.folder }, 0);
      expect(a.run.finished).toBe(true);
      expect(a.lines.map((l) => l.step)).toEqual([1, 2]);
      expect(a.lines.every((l) => Number.isFinite(l.loss))).toBe(true);
      const b = await trainOn(name, { ...base, ...replay, data: parquet, evalGeometry: true }, 2);
      const last = b.lines[1];
      for (const key of ['knn/genus', 'knn/species', 'rld', 'calinskiHarabasz'])
        expect(last[key], key).toBeTypeOf('number');
      expect(last['knn/genus']).toBeGreaterThanOrEqual(0);
      expect(last['knn/genus']).toBeLessThanOrEqual(1);
      if (name.startsWith('clip'))
        expect(Object.keys(last).some((k) => k.endsWith('/species') && !k.startsWith('knn'))).toBe(true);
      expect(Object.keys(b.run.model!.towers)).toContain('image');
    }, 60_000);

  test('multiview-tabular: image + caption + tabular from the manifest; tabular-only views; an ImageFolder has no table', async () => {
    const mv = { ...imageText, tabularHidden: [8] };
    const a = await trainOn('multiview-tabular', { ...mv, data: parquet }, 2);
    expect(a.lines[1]['knn/species']).toBeTypeOf('number');
    expect(a.lines[1]['image/species']).toBeTypeOf('number'); // zero-shot image → text
    const tab = await trainOn(
      'multiview-tabular',
      { ...mv, data: parquet, views: ['tabular', 'tabular'], core: 'tabular' },
      2,
    );
    expect(tab.lines[1]['knn/species']).toBeTypeOf('number');
    await expect(trainOn('multiview-tabular', { ...mv, data: f.folder }, 0)).rejects.toThrow(
      /needs tabular columns: add 'tabular=COL,…'/,
    );
  }, 60_000);

  test('radial-finetune trains on HierarCaps-format chains; an image folder is refused', async () => {
    const csv = join(dir, 'chains.csv');
    const chain = (a: string, b: string) =>
      `${a} => ${a} ${b} => ${a} ${b} on grass => a ${a} ${b} on grass at noon`;
    const rows = ['dog', 'cat', 'bird', 'horse'].flatMap((a, i) =>
      ['small', 'brown'].map((b) => `"${chain(a, b)}","${chain(['cat', 'bird', 'horse', 'dog'][i], 'red')}"`),
    );
    writeFileSync(csv, ['positive,negative', ...rows].join('\n') + '\n');
    const r = await trainOn(
      'radial-finetune',
      { ...text, embedDim: 8, batchSize: 2, data: `chains:${csv}` },
      2,
    );
    expect(r.lines[1].dCorr).toBeTypeOf('number');
    await expect(trainOn('radial-finetune', { ...text, data: f.folder }, 0)).rejects.toThrow(
      /trains on chains/,
    );
  }, 60_000);

  test('evalEvery on data without a validation split is an error that says how to add one', async () => {
    await expect(trainOn('clip-taxonomy', { ...imageText, data: f.folder }, 1)).rejects.toThrow(
      /no validation split: add 'split=COLUMN' or 'valFraction=F'/,
    );
  }, 60_000);
});

describe('bad data', () => {
  /** The fixture's CSV plus a row whose image is missing, a corrupt PNG and a row with every rank empty. */
  function badCsv(): string {
    const csv = readFileSync(f.csv, 'utf8').trimEnd().split('\n');
    writeFileSync(join(f.dir, 'broken.png'), 'not a png');
    const row = (path: string, genus: string, species: string) =>
      `${path},Animalia,Chordata,Aves,Passeriformes,Corvidae,${genus},${species},magpie,a photo.,train,1,100`;
    const out = join(f.dir, 'bad.csv');
    writeFileSync(
      out,
      [
        ...csv,
        row('folder/gone.png', 'Pica', 'Pica pica'),
        row('broken.png', 'Pica', 'Pica pica'),
        row(csv[1].split(',')[0], '', ''),
      ].join('\n') + '\n',
    );
    return out;
  }
  const opts = '?image=path&ranks=genus,species&common=common&split=split';

  test('onError=fail (default) stops naming the manifest, row and column of the first bad item', async () => {
    const csv = badCsv();
    await expect(trainOn('clip-taxonomy', { ...imageText, data: csv + opts }, 0)).rejects.toThrow(
      `${csv}: row 33: column path: image file not found`,
    );
  }, 60_000);

  test('onError=skip trains without them, counts them in metrics.jsonl and reports them at the end', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(String(m)));
    const csv = badCsv();
    const r = await trainOn('clip-taxonomy', { ...imageText, data: `${csv}${opts}&onError=skip` }, 2);
    vi.restoreAllMocks();
    expect(r.lines.map((l) => l.skipped)).toEqual([3, 3]);
    expect(r.lines[1]['knn/species']).toBeTypeOf('number');
    const report = errors.find((e) => e.startsWith('skipped 3 bad data item(s)'))!;
    expect(report).toContain('row 33: column path: image file not found');
    expect(report).toContain('row 34: column path: unreadable image');
    expect(report).toContain('row 35: column genus,species: every rank is empty');
  }, 60_000);
});

test('train.evalEvery also works on the built-in data: CIFAR recipes (kNN by rank on test.bin) and clip-replay (zero-shot)', async () => {
  const file = writeTinyCifar100(64, 4);
  copyFileSync(file, join(dirname(file), 'test.bin'));
  const sup = await trainOn('supervised-cifar', { ...cifar, file }, 2);
  expect(sup.lines[1]['knn/class']).toBeTypeOf('number');
  expect(sup.lines[1]['knn/superclass']).toBeTypeOf('number');
  const replay = await trainOn(
    'clip-replay',
    { ...omit(imageText, 'size'), perSpecies: 1, replayPerSpecies: 1, batchSize: 12 },
    2,
  );
  expect(replay.lines[1]['zeroshot/species']).toBeTypeOf('number');
}, 60_000);

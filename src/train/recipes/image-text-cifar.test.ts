import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, test } from 'vitest';
import { metricsLosses as losses } from '../../../test/support/recipes.ts';
import { DataLoader } from '../../data/loader/loader.ts';
import { TEXT_TYPES } from '../../data/taxonomy/text-types.ts';
import { Rng } from '../../util/rng.ts';
import { writeModelDir } from '../model-dir.ts';
import { train } from '../trainer.ts';
import { evaluateCifarEncoder, loadCifarEval } from './parts/cifar-eval.ts';
import { cifar100Captions } from '../../data/pipelines/cifar.ts';
import { writeTinyCifar100 } from '../../../test/support/cifar.ts';
import { RECIPES } from './index.ts';
import { clipTaxonomy } from './clip-taxonomy.ts';
import { clipin } from './clipin.ts';

// A tiny CIFAR-100-format folder (train.bin = test.bin, 64 records of 4 classes) for the image-text recipes'
// `dataset: 'cifar-100'` path; the real-data run is src/train/recipes/image-text-cifar.data.test.ts.
const dataDir = dirname(writeTinyCifar100(64, 4));
copyFileSync(join(dataDir, 'train.bin'), join(dataDir, 'test.bin'));
const towers = { imageChannels: [8, 16, 16] as [number, number, number], imageBatchNorm: true };
const text = { textWidth: 16, textDepth: 1, textHeads: 2, contextLength: 20 };
const run = (name: string) => join(mkdtempSync(join(tmpdir(), `clade-${name}-`)), 'run');
const opts = { warmup: 2, seed: 0, checkpointEvery: 100, keepLast: 1, quiet: true };
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test('CIFAR-100 captions: the superclass → class taxonomy in the five BioCLIP 2 text types', () => {
  const caps = cifar100Captions();
  expect(caps.length).toBe(100);
  expect(caps[19]).toEqual([
    'a photo of large omnivores and herbivores cattle.',
    'a photo of cattle.',
    'a photo of cattle.',
    'a photo of cattle with common name cattle.',
    'a photo of large omnivores and herbivores cattle with common name cattle.',
  ]);
  expect(caps[47][TEXT_TYPES.indexOf('com')]).toBe('a photo of maple tree.');
});

test('clip-taxonomy on CIFAR-100: captioned batches, the loss decreases, zero-shot by rank, CIFAR preprocessing', async () => {
  const cfg = RECIPES['clip-taxonomy'].schema.parse({
    dataset: 'cifar-100',
    dataDir,
    batchSize: 16,
    embedDim: 16,
    ...towers,
    ...text,
  });
  const recipe = clipTaxonomy(cfg);
  expect(recipe.data.synthetic).toBeNull();
  expect(recipe.data.taxonomy.ranks).toEqual(['superclass', 'class']);

  // The training pipeline carries each record's five captions.
  const loader = await DataLoader.create({
    source: recipe.pipeline,
    batchSize: 8,
    seed: 0,
    epochs: 1,
    workers: 0,
  });
  for await (const b of loader) {
    b.labels!.forEach((y, i) => expect(b.captions![i]).toEqual(cifar100Captions()[y]));
    break;
  }
  await loader.close();

  const outDir = run('clip-cifar');
  const res = await train(recipe, { ...opts, steps: 16, lr: 1e-2, outDir });
  const l = losses(outDir);
  expect(mean(l.slice(-4))).toBeLessThan(mean(l.slice(0, 4)) - 0.2);

  const data = loadCifarEval(dataDir);
  const s = await evaluateCifarEncoder(recipe, res.params, data, { probe: false });
  expect(Object.keys(s.zeroShot!).sort()).toEqual(['zeroshot/class', 'zeroshot/superclass']);
  for (const v of Object.values(s.zeroShot!)) expect(v).toBeGreaterThanOrEqual(0);
  expect(s.zeroShot!['zeroshot/superclass']).toBeGreaterThanOrEqual(s.zeroShot!['zeroshot/class']);
  expect(Object.keys(await recipe.periodicEval(res.params)).length).toBe(2);

  const model = join(outDir, 'model');
  writeModelDir(model, recipe, res.params, 16);
  const desc = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8'));
  expect(JSON.stringify(desc)).toContain('0.5070751592371323'); // CIFAR-100 mean, not CLIP's
});

test('clipin on CIFAR-100: two views, trains, both zero-shot modes at both ranks', async () => {
  const cfg = RECIPES.clipin.schema.parse({
    dataset: 'cifar-100',
    dataDir,
    batchSize: 16,
    preDim: 16,
    clipDim: 8,
    ncDim: 16,
    predHidden: 16,
    ...towers,
    ...text,
  });
  const recipe = clipin(cfg);
  const outDir = run('clipin-cifar');
  const res = await train(recipe, { ...opts, steps: 6, lr: 1e-2, outDir });
  expect(losses(outDir).every(Number.isFinite)).toBe(true);
  const zs = await recipe.zeroShot(res.params);
  expect(Object.keys(zs).sort()).toEqual([
    'contrastive/class',
    'contrastive/superclass',
    'nonContrastive/class',
    'nonContrastive/superclass',
  ]);
  const init = recipe.init(new Rng(0)) as Record<string, unknown>;
  expect(init.image).toEqual((init.target as Record<string, unknown>).image); // target synced at init
});

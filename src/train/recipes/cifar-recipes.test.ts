import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { metricsLosses as losses } from '../../../test/support/recipes.ts';
import { DataLoader } from '../../data/loader/loader.ts';
import { readCifar100 } from '../../data/readers/cifar.ts';
import { Rng } from '../../util/rng.ts';
import { runTower, writeModelDir } from '../model-dir.ts';
import { train } from '../trainer.ts';
import { runImageTower } from './parts/tower-runner.ts';
import { cifar100 as cifarPipeline, cifarEvalImages } from '../../data/pipelines/cifar.ts';
import { writeTinyCifar100 } from '../../../test/support/cifar.ts';
import { RECIPES } from './index.ts';
import { simclrCifar } from './simclr-cifar.ts';
import { supervisedCifar } from './supervised-cifar.ts';

const file = writeTinyCifar100(64, 4);
const tinyCnn = { arch: 'cnn' as const, channels: [8, 16, 16] as [number, number, number] };
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const run = (name: string) => join(mkdtempSync(join(tmpdir(), `clade-${name}-`)), 'run');
const opts = { warmup: 2, seed: 0, checkpointEvery: 100, keepLast: 1, quiet: true };

test('supervised-cifar: the loss decreases on a tiny CIFAR-format file; the tower exports embedding + logits', async () => {
  const recipe = supervisedCifar({ file, batchSize: 16, encoder: tinyCnn, cropScale: [0.6, 1] });
  const outDir = run('sup');
  const res = await train(recipe, { ...opts, steps: 16, lr: 1e-2, outDir });
  const l = losses(outDir);
  expect(l.length).toBe(16);
  expect(mean(l.slice(-4))).toBeLessThan(mean(l.slice(0, 4)) - 0.2);

  // The exported model directory's image tower gives what the in-process forward pass gives.
  const ds = readCifar100(file);
  const images = cifarEvalImages(ds);
  const direct = await runImageTower(recipe, res.params, images, ds.length, 32);
  expect(direct.logits.d).toBe(100);
  expect(direct.embedding.d).toBe(16);
  const dir = join(outDir, 'model');
  writeModelDir(dir, recipe, res.params, 32);
  const viaOnnx = await runTower(dir, 'image', { image: images }, ds.length);
  let worst = 0;
  for (let i = 0; i < viaOnnx.data.length; i++)
    worst = Math.max(worst, Math.abs(viaOnnx.data[i] - direct.embedding.data[i]));
  expect(worst).toBeLessThan(1e-4);
});

test('simclr-cifar: the NT-Xent loss decreases on a tiny CIFAR-format file', async () => {
  const recipe = simclrCifar({
    file,
    batchSize: 16,
    encoder: tinyCnn,
    projectionHidden: 32,
    projectionDim: 16,
  });
  const outDir = run('simclr');
  await train(recipe, { ...opts, steps: 16, lr: 1e-2, outDir });
  const l = losses(outDir);
  // ln(2B − 1) = ln 31 ≈ 3.43 at chance.
  expect(l[0]).toBeGreaterThan(2.5);
  expect(mean(l.slice(-4))).toBeLessThan(mean(l.slice(0, 4)) - 0.1);
  expect(recipe.describe()).toMatchObject({ recipe: 'simclr-cifar', embedDim: 16 });
});

test('SimCLR views differ per view (and per sample), supervised gives one view', async () => {
  const p = cifarPipeline({ file, mode: 'simclr' });
  const s = p.dataset.get(0) as Awaited<ReturnType<typeof p.dataset.get>>;
  const item = await p.transform(s, new Rng(3));
  expect(item.views).toHaveLength(2);
  const [a, b] = item.views!;
  expect(a.data.length).toBe(3 * 32 * 32);
  let diff = 0;
  for (let i = 0; i < a.data.length; i++) diff += Math.abs(a.data[i] - b.data[i]);
  expect(diff / a.data.length).toBeGreaterThan(1e-2);

  const loader = await DataLoader.create({
    source: simclrCifar({ file, batchSize: 8 }).pipeline,
    batchSize: 8,
    seed: 0,
    epochs: 1,
    dropLast: true,
  });
  for await (const batch of loader) {
    expect(batch.views).toHaveLength(2);
    expect(batch.views[0]).not.toEqual(batch.views[1]);
    break;
  }
  await loader.close();
  const sup = cifarPipeline({ file, mode: 'supervised' });
  expect((await sup.transform(s, new Rng(3))).views).toHaveLength(1);
});

test('RECIPES builds the image-only recipes from validated configs and rejects unknown keys', async () => {
  const sup = RECIPES['supervised-cifar'];
  const built = await sup.build(sup.schema.parse({ file, encoder: { arch: 'resnet', width: 8 } }));
  expect(built.name).toBe('supervised-cifar');
  const bn = await sup.build(sup.schema.parse({ file, encoder: { arch: 'cnn', batchNorm: true } }));
  expect(Object.keys(bn.init(new Rng(0)).encoder)).toEqual(['convs', 'bns']);
  expect(() => sup.schema.parse({ file, lables: 'fine' })).toThrow(/lables/);
  const sim = RECIPES['simclr-cifar'];
  expect(sim.schema.parse({}).temperature).toBe(0.5);
});

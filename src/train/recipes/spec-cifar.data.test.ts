import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, expect, test } from 'vitest';
import { pipelineSource } from '../../data/pipelines/index.ts';
import { readCifar100 } from '../../data/readers/cifar.ts';
import { readManifest } from '../../data/readers/manifest.ts';
import { sharedDatasetsDir } from '../../data/readers/shared-datasets.ts';
import { cifar100Taxonomy } from '../../data/taxonomy/cifar100-taxonomy.ts';
import { resolveConfig } from '../resolve-config.ts';
import { runTraining } from '../run.ts';
import { evaluateCifarEncoder, loadCifarEval, probeCifar } from './parts/cifar-eval.ts';
import { embedSource } from './parts/spec-eval.ts';

// clip-taxonomy trained from a manifest (PNG files + superclass / class columns, `--data FILE.csv?image=…&ranks=…`)
// against the built-in CIFAR-100 path at the same budget: the same records (the first TRAIN of train.bin), steps,
// batch and towers. Coarse (superclass) kNN of the first TEST test records (k 200, against the TRAIN training
// embeddings, each model through its own evaluation transform) must agree within 2 points. The two paths differ
// only in how the images arrive (PNG files decoded in the loader vs. binary records) and their normalisation
// (OpenAI CLIP mean/std vs. CIFAR-100's).
const DIR = sharedDatasetsDir('cifar-100');
const have = existsSync(join(DIR, 'train.bin')) && existsSync(join(DIR, 'test.bin'));
const TRAIN = 5000;
const TEST = 2000;
const STEPS = 120;

const tmp = mkdtempSync(join(tmpdir(), 'clade-spec-cifar-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The first `n` records of a CIFAR-100 binary as PNGs + a manifest (path, superclass, class). */
async function writeManifest(file: string, n: number, name: string): Promise<string> {
  const ds = readCifar100(file);
  const tax = cifar100Taxonomy();
  const rows = ['path,superclass,class'];
  mkdirSync(join(tmp, name), { recursive: true });
  for (let i = 0; i < n; i++) {
    const s = ds.get(i);
    const img = s.image!;
    const rel = join(name, `${i}.png`);
    await sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } })
      .png()
      .toFile(join(tmp, rel));
    const [sup, cls] = tax.classes[s.label!].lineage.map((x) => x!.replace(/_/g, ' '));
    rows.push(`${rel},${sup},${cls}`);
  }
  const csv = join(tmp, `${name}.csv`);
  writeFileSync(csv, rows.join('\n') + '\n');
  return csv;
}

const recipeConfig = {
  cropScale: [0.5, 1],
  imageBatchNorm: true,
  batchSize: 128,
  embedDim: 64,
  imageChannels: [32, 64, 128],
  textWidth: 64,
  textDepth: 2,
  textHeads: 2,
  contextLength: 20,
};
const trainOpts = { steps: STEPS, lr: 0.003, warmup: 12, seed: 0, checkpointEvery: STEPS, workers: 1 };

test.skipIf(!have)(
  `clip-taxonomy from a PNG manifest matches the built-in CIFAR-100 path within 2 points of coarse kNN (${STEPS} steps)`,
  async () => {
    const t0 = performance.now();
    const trainCsv = await writeManifest(join(DIR, 'train.bin'), TRAIN, 'train');
    const testCsv = await writeManifest(join(DIR, 'test.bin'), TEST, 'test');
    const tWrite = (performance.now() - t0) / 1000;

    const builtIn = resolveConfig({
      recipe: 'clip-taxonomy',
      recipeConfig: { ...recipeConfig, dataset: 'cifar-100', dataDir: DIR, limit: TRAIN },
      train: trainOpts,
    });
    const t1 = performance.now();
    const a = await runTraining(builtIn, { outDir: join(tmp, 'builtin'), quiet: true });
    const tA = (performance.now() - t1) / 1000;
    const cifar = loadCifarEval(DIR, { train: TRAIN, test: TEST });
    const knnA = (await evaluateCifarEncoder(a.recipe, a.train.params, cifar, { probe: false })).knn;

    const spec = resolveConfig({
      recipe: 'clip-taxonomy',
      recipeConfig: { ...recipeConfig, data: `${trainCsv}?image=path&ranks=superclass,class` },
      train: trainOpts,
    });
    if (spec.recipeName !== 'clip-taxonomy') throw new Error(spec.recipeName);
    const t2 = performance.now();
    const b = await runTraining(spec, { outDir: join(tmp, 'manifest'), quiet: true });
    const tB = (performance.now() - t2) / 1000;
    // both sets through the manifest model's own evaluation view; labels mapped to CIFAR-100 fine labels by name
    const fineOf = new Map(cifar100Taxonomy().classes.map((c, k) => [c.lineage[1]!.replace(/_/g, ' '), k]));
    const taxB = b.recipe.data.taxonomy;
    const toFine = (y: Int32Array) => Int32Array.from(y, (k) => fineOf.get(taxB.classes[k].lineage[1]!)!);
    const tower = b.recipe.towers(100).image;
    const view = { kind: 'clip-eval', size: 32 } as const;
    const embed = async (csv: string, n: number) => {
      const source = pipelineSource('spec', {
        spec: `${csv}?image=path&ranks=superclass,class`,
        part: 'train',
        image: view,
      });
      const e = await embedSource(b.train.params, tower, 'image', source, n);
      return { x: e.outputs.embedding, y: e.labels };
    };
    // the test manifest's classes are its own; map them by name through its taxonomy
    const tr = await embed(trainCsv, TRAIN);
    const te = await embed(testCsv, TEST);
    const testDs = await readManifest(testCsv, {
      columns: { image: 'path', ranks: ['superclass', 'class'] },
    });
    const testFine = Int32Array.from(te.y, (k) => fineOf.get(testDs.taxonomy!.classes[k].lineage[1]!)!);
    const knnB = (await probeCifar(tr.x, toFine(tr.y), te.x, testFine, { probe: false })).knn;
    const pct = (x: number) => (100 * x).toFixed(1);
    console.info(
      `clip-taxonomy ${STEPS} × 128 on the first ${TRAIN} CIFAR-100 records: coarse kNN built-in ${pct(knnA.coarse)} ` +
        `(${tA.toFixed(0)} s), PNG manifest ${pct(knnB.coarse)} (${tB.toFixed(0)} s); fine ${pct(knnA.fine)} / ` +
        `${pct(knnB.fine)}; ${TRAIN + TEST} PNGs written in ${tWrite.toFixed(0)} s`,
    );
    expect(Math.abs(knnA.coarse - knnB.coarse)).toBeLessThanOrEqual(0.02);
    expect(knnB.coarse).toBeGreaterThan(0.15); // well above the 5 % of chance
  },
  900_000,
);

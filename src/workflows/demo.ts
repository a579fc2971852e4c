import { join } from 'node:path';
import { TEXT_TYPES, taxonText } from '../data/taxonomy/text-types.ts';
import { syntheticImageText } from '../data/pipelines/synthetic.ts';
import type { ResolvedConfig } from '../train/resolve-config.ts';
import { runTraining } from '../train/run.ts';
import { CladeError } from '../util/errors.ts';
import {
  formatSummaryTable,
  readResults,
  writeReport,
  writeResult,
  describeBytes,
  describeModelDir,
} from '../report/index.ts';
import { writeSafetensors } from '../io/safetensors.ts';
import { demoAnalyses } from './demo-analyses.ts';
import { standardAnalyses } from './standard-analyses.ts';
import { embedImages, embedTexts, stackImages } from '../embed/embed.ts';
import { writeDemoExplorer } from './demo-explorer.ts';

export interface DemoOptions {
  readonly outDir: string;
  /** A resolved `clip-taxonomy` config (the `demo` preset plus any overrides). */
  readonly config: ResolvedConfig;
  readonly testPerSpecies?: number;
  readonly log?: (line: string) => void;
}

/**
 * `clade demo`: train a small CLIP-style model with BioCLIP 2's taxonomic text supervision on the built-in
 * synthetic-taxonomy dataset (the `demo` preset), export it, embed held-out data through the exported ONNX
 * towers, run the analysis suite, and write result JSON files, report.html and a summary table.
 */
export async function runDemo(
  o: DemoOptions,
): Promise<{ summary: string; report: string; explorer: string; stepsPerSecond: number }> {
  const log = o.log ?? (() => {});
  if (o.config.recipeName !== 'clip-taxonomy')
    throw new CladeError(`the demo runs the clip-taxonomy recipe, got '${o.config.recipeName}'`, {
      field: 'recipe',
    });
  log(`training clip-taxonomy on synthetic-taxonomy for ${o.config.train.steps} steps`);
  const run = await runTraining(o.config, { outDir: o.outDir });
  const { recipe, modelDir } = run;
  const dataset = recipe.data.synthetic;
  if (!dataset)
    throw new CladeError(`the demo trains on synthetic-taxonomy, got '${recipe.data.name}'`, {
      field: 'recipeConfig.dataset',
    });
  const cfg = recipe.config;
  const t = o.config.train;
  log(`model directory: ${modelDir} (model.json, weights.safetensors, image.onnx, text.onnx)`);

  const trainSet = await stackImages(
    syntheticImageText({
      views: 1,
      seed: cfg.seed,
      perSpecies: Math.min(cfg.perSpecies, 20),
      size: cfg.size,
      split: 'train',
      mode: 'eval',
    }),
  );
  const testSet = await stackImages(
    syntheticImageText({
      views: 1,
      seed: cfg.seed,
      perSpecies: o.testPerSpecies ?? 10,
      size: cfg.size,
      split: 'test',
      mode: 'eval',
    }),
  );
  const trainEmb = await embedImages(modelDir, trainSet.images, trainSet.samples.length);
  const testEmb = await embedImages(modelDir, testSet.images, testSet.samples.length);
  const tax = dataset.taxonomy;
  const K = tax.classes.length;
  const tokenizer = recipe.tokenizer;
  const classText = await embedTexts(
    modelDir,
    tax.classes.map((c, k) => taxonText(c.lineage, dataset.commonNames[k], 'taxon')),
    { tokenizer },
  );
  const root = await embedTexts(modelDir, [''], { tokenizer });
  const levelTexts = tax.classes.flatMap((c) =>
    tax.ranks.map((_, r) =>
      taxonText(
        c.lineage.map((n, i) => (i <= r ? n : null)),
        undefined,
        'taxon',
      ),
    ),
  );
  const levels = await embedTexts(modelDir, levelTexts, { tokenizer });
  writeSafetensors(
    join(o.outDir, 'embeddings.safetensors'),
    {
      test_image: { dtype: 'F32', shape: [testEmb.n, testEmb.d], data: testEmb.data },
      train_image: { dtype: 'F32', shape: [trainEmb.n, trainEmb.d], data: trainEmb.data },
      class_text: { dtype: 'F32', shape: [K, classText.d], data: classText.data },
    },
    { textType: TEXT_TYPES[0] },
  );

  const logitScale = Math.exp(run.train.params.logitScale.data[0]);
  const results = await demoAnalyses(dataset, {
    train: trainEmb,
    trainSamples: trainSet.samples,
    test: testEmb,
    testSamples: testSet.samples,
    classText,
    root,
    levels,
    logitScale,
  });
  results.push(
    ...(await standardAnalyses(
      {
        train: trainEmb,
        trainLabels: Int32Array.from(trainSet.samples, (x) => x.label ?? 0),
        test: testEmb,
        testLabels: Int32Array.from(testSet.samples, (x) => x.label ?? 0),
      },
      ['graph-head', 'few-shot', 'geometry'],
      log,
    )),
  );
  // the inputs a result was computed from: the evaluated pixels themselves and the model's files
  const inputs = [
    describeBytes(
      `synthetic-taxonomy:seed=${cfg.seed}:train+test (eval pixels)`,
      pixelBytes(trainSet, testSet),
    ),
    describeModelDir(modelDir),
  ];
  for (const r of results)
    writeResult(o.outDir, { ...r, inputs, params: { ...r.params, steps: t.steps, seed: t.seed } });
  const loaded = readResults(o.outDir);
  const report = join(o.outDir, 'report.html');
  await writeReport(report, loaded, { title: `clade demo — ${recipe.name} on synthetic-taxonomy` });
  const parts = [
    { split: 'test', embeddings: testEmb, samples: testSet.samples },
    { split: 'train', embeddings: trainEmb, samples: trainSet.samples },
  ];
  const explorer = await writeDemoExplorer(join(o.outDir, 'explorer'), {
    dataset,
    modelDir,
    parts,
    results: loaded.map((r) => r.result),
    log,
  });
  return { summary: formatSummaryTable(loaded), report, explorer, stepsPerSecond: run.train.stepsPerSecond };
}

/** The stacked evaluation images of both splits as bytes (what the analyses actually saw). */
function pixelBytes(...sets: { images: Float32Array }[]): Uint8Array {
  const parts = sets.map((x) => new Uint8Array(x.images.buffer, x.images.byteOffset, x.images.byteLength));
  return Buffer.concat(parts);
}

import { join } from 'node:path';
import { TEXT_TYPES, taxonText } from '../../data/taxonomy/text-types.ts';
import { syntheticPipeline } from '../../train/recipes/pipelines.ts';
import { clipTaxonomy, type ClipTaxonomyConfig } from '../../train/recipes/clip-taxonomy.ts';
import { configJson, type ResolvedConfig } from '../../train/resolve-config.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { CladeError } from '../../util/errors.ts';
import { mkdirSync } from 'node:fs';
import { train } from '../../train/trainer.ts';
import { writeModelDir } from '../../train/model-dir.ts';
import {
  formatSummaryTable,
  readResults,
  writeReport,
  describeModelDir,
  writeResult,
  describeBytes,
} from '../../report/index.ts';
import { writeSafetensors } from '../../io/safetensors.ts';
import { demoAnalyses } from './demo-analyses.ts';
import { standardAnalyses } from './standard-analyses.ts';
import { embedImages, embedTexts, stackImages } from './embed-split.ts';
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
  const recipe = clipTaxonomy(o.config.recipeConfig as Partial<ClipTaxonomyConfig>);
  const cfg = recipe.config;
  const t = o.config.train;
  mkdirSync(o.outDir, { recursive: true });
  writeFileAtomic(join(o.outDir, 'config.json'), JSON.stringify(configJson(o.config), null, 2) + '\n');
  log(
    `training ${recipe.name} on synthetic-taxonomy (${recipe.dataset.length} images, ${recipe.dataset.classNames.length} species) for ${t.steps} steps`,
  );
  const run = await train(recipe, { ...t, outDir: o.outDir });
  const modelDir = join(o.outDir, 'model');
  writeModelDir(modelDir, recipe, run.params, t.exportBatch);
  log(`model directory: ${modelDir} (model.json, weights.safetensors, image.onnx, text.onnx)`);

  const trainSet = await stackImages(
    syntheticPipeline({
      seed: cfg.seed,
      perSpecies: Math.min(cfg.perSpecies, 20),
      size: cfg.size,
      split: 'train',
      mode: 'eval',
    }),
  );
  const testSet = await stackImages(
    syntheticPipeline({
      seed: cfg.seed,
      perSpecies: o.testPerSpecies ?? 10,
      size: cfg.size,
      split: 'test',
      mode: 'eval',
    }),
  );
  const trainEmb = await embedImages(modelDir, trainSet.images, trainSet.samples.length);
  const testEmb = await embedImages(modelDir, testSet.images, testSet.samples.length);
  const tax = recipe.dataset.taxonomy;
  const K = tax.classes.length;
  const classText = await embedTexts(
    modelDir,
    recipe.tokenizer,
    tax.classes.map((c, k) => taxonText(c.lineage, recipe.dataset.commonNames[k], 'taxon')),
  );
  const root = await embedTexts(modelDir, recipe.tokenizer, ['']);
  const levelTexts = tax.classes.flatMap((c) =>
    tax.ranks.map((_, r) =>
      taxonText(
        c.lineage.map((n, i) => (i <= r ? n : null)),
        undefined,
        'taxon',
      ),
    ),
  );
  const levels = await embedTexts(modelDir, recipe.tokenizer, levelTexts);
  writeSafetensors(
    join(o.outDir, 'embeddings.safetensors'),
    {
      test_image: { dtype: 'F32', shape: [testEmb.n, testEmb.d], data: testEmb.data },
      train_image: { dtype: 'F32', shape: [trainEmb.n, trainEmb.d], data: trainEmb.data },
      class_text: { dtype: 'F32', shape: [K, classText.d], data: classText.data },
    },
    { textType: TEXT_TYPES[0] },
  );

  const logitScale = Math.exp(
    (run.params as unknown as { logitScale: { data: Float32Array } }).logitScale.data[0],
  );
  const results = await demoAnalyses(recipe.dataset, {
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
    dataset: recipe.dataset,
    modelDir,
    parts,
    results: loaded.map((r) => r.result),
    log,
  });
  return { summary: formatSummaryTable(loaded), report, explorer, stepsPerSecond: run.stepsPerSecond };
}

/** The stacked evaluation images of both splits as bytes (what the analyses actually saw). */
function pixelBytes(...sets: { images: Float32Array }[]): Uint8Array {
  const parts = sets.map((x) => new Uint8Array(x.images.buffer, x.images.byteOffset, x.images.byteLength));
  return Buffer.concat(parts);
}

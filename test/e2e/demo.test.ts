import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { expect, test } from 'vitest';
import { runDemo } from '../../src/workflows/demo.ts';
import { readResults } from '../../src/report/index.ts';
import { loadConfig } from '../../src/config/preset.ts';
import { splitOverrides } from '../../src/config/overrides.ts';
import { resolveConfig } from '../../src/train/resolve-config.ts';

test('clade demo trains, exports, evaluates and reports (short run, small model)', async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'clade-demo-')), 'run');
  const { raw, file } = loadConfig('demo');
  const small = [
    '--train.steps=120',
    '--train.warmup=12',
    '--train.checkpointEvery=60',
    '--train.workers=0',
    '--recipeConfig.perSpecies=10',
    '--recipeConfig.batchSize=60',
    '--recipeConfig.imageChannels=[16,32,32]',
    '--recipeConfig.embedDim=32',
    '--recipeConfig.textWidth=32',
    '--recipeConfig.textDepth=1',
  ];
  const config = resolveConfig(raw, { file, overrides: splitOverrides(small).overrides });
  const r = await runDemo({ outDir: out, config, testPerSpecies: 4 });
  for (const f of [
    'model/model.json',
    'model/weights.safetensors',
    'model/image.onnx',
    'model/text.onnx',
    'metrics.jsonl',
    'embeddings.safetensors',
    'report.html',
  ])
    expect(existsSync(join(out, f)), f).toBe(true);
  const results = readResults(out);
  const kinds = results.map((x) => x.result.kind).sort();
  expect(kinds).toEqual([
    'cluster-structure',
    'few-shot',
    'geometry',
    'graph-head',
    'knn',
    'linear-probe',
    'orthogonality',
    'projection',
    'radial',
    'zeroshot',
  ]);
  const zs = results.find((x) => x.result.kind === 'zeroshot')!.result.metrics as Record<string, number>;
  // 60 species (chance 1.7 %), 3 kingdoms (chance 33 %): a learned model is far above both after 120 steps.
  expect(zs.top1).toBeGreaterThan(0.1);
  expect(zs.acc_kingdom).toBeGreaterThan(0.6);
  const html = readFileSync(r.report, 'utf8');
  for (const plot of ['projection', 'rank-accuracy', 'homogeneity', 'rld', 'radius', 'orthogonality'])
    expect(html).toContain(`data-plot="${plot}"`);
  // the run's own curves and headline; inputs hash the evaluated pixels and the model files, not a name
  for (const plot of ['training-loss', 'learning-rate']) expect(html).toContain(`data-plot="${plot}"`);
  expect(html).toMatch(/trained 120 steps in [^<]+ \(wall time\) · [\d.]+ k parameters/);
  expect(html).toContain('(chance 0.017)');
  const inputs = results[0].result.inputs;
  expect(inputs.map((i) => i.path)).toEqual([expect.stringContaining('eval pixels'), join(out, 'model')]);
  expect(inputs[0].bytes).toBeGreaterThan(100_000);
  // The exported image tower is a plain ONNX model.
  const s = await ort.InferenceSession.create(join(out, 'model/image.onnx'));
  expect(s.inputNames).toEqual(['image']);
  expect(s.outputNames).toEqual(['embedding']);
});

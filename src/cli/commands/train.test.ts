import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, test, vi } from 'vitest';
import { metricsLosses as curve } from '../../../test/support/recipes.ts';
import { runTower } from '../../train/model-dir.ts';
import { run as exportCli } from './export.ts';
import { run as trainCli } from './train.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-train-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const cfgFile = join(dir, 'tiny.json');
writeFileSync(
  cfgFile,
  JSON.stringify({
    description: 'tiny test run',
    recipe: 'clip-taxonomy',
    recipeConfig: {
      perSpecies: 2,
      batchSize: 24,
      imageChannels: [8, 16, 16],
      textWidth: 16,
      textDepth: 1,
      embedDim: 16,
      contextLength: 12,
    },
    train: {
      steps: 6,
      lr: 0.002,
      warmup: 2,
      seed: 3,
      checkpointEvery: 2,
      keepLast: 2,
      workers: 0,
      exportBatch: 4,
    },
  }),
);

function capture() {
  const out: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...s) => void out.push(s.join(' ')));
  vi.spyOn(console, 'log').mockImplementation((...s) => void out.push(s.join(' ')));
  return out;
}
const probe = Float32Array.from({ length: 5 * 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.37));

test('clade train runs a config, --resume continues exactly, export re-creates the trained model', async () => {
  const log = capture();
  const a = join(dir, 'a');
  expect(await trainCli([cfgFile, '--out', a, '--quiet'])).toBe(0);
  const saved = JSON.parse(readFileSync(join(a, 'config.json'), 'utf8'));
  expect(saved.train).toMatchObject({ steps: 6, minLr: 0, exportBatch: 4 });
  expect(saved.recipeConfig).toMatchObject({ embedDim: 16, mixing: 'perBatch', textHeads: 2 }); // defaults filled
  expect(curve(a)).toHaveLength(6);
  expect(existsSync(join(a, 'model', 'image.onnx'))).toBe(true);

  // interrupted after 3 steps (last checkpoint at step 2), then resumed
  const b = join(dir, 'b');
  expect(await trainCli([cfgFile, '--out', b, '--quiet', '--stop-after', '3'])).toBe(0);
  expect(existsSync(join(b, 'model'))).toBe(false);
  expect(await trainCli([cfgFile, '--out', b, '--quiet'])).toBe(1);
  expect(log.join('\n')).toContain('run directory already has checkpoints: pass --resume');
  expect(await trainCli(['--out', b, '--resume', '--quiet', '--train.lr=3e-4'])).toBe(1);
  expect(log.join('\n')).toContain('these overrides would change it:\n  train.lr: 0.002 → 0.0003');
  expect(await trainCli([cfgFile, '--out', b, '--resume', '--quiet', '--train.steps=6'])).toBe(0);
  expect(curve(b)).toEqual(curve(a));

  // cut before its first checkpoint: --resume starts afresh and drops the orphaned metric lines
  const c = join(dir, 'c0');
  expect(await trainCli([cfgFile, '--out', c, '--quiet', '--stop-after', '1'])).toBe(0);
  expect(curve(c)).toHaveLength(1);
  expect(await trainCli(['--out', c, '--resume', '--quiet'])).toBe(0);
  expect(curve(c)).toEqual(curve(a));

  // export of the newest checkpoint embeds exactly like the model train wrote
  expect(await exportCli([a, '--out', join(a, 'exported'), '--batch', '3'])).toBe(0);
  const trained = await runTower(join(a, 'model'), 'image', { image: probe }, 5);
  const exported = await runTower(join(a, 'exported'), 'image', { image: probe }, 5);
  const resumed = await runTower(join(b, 'model'), 'image', { image: probe }, 5);
  expect(trained.d).toBe(16);
  expect(Array.from(exported.data)).toEqual(Array.from(trained.data));
  expect(Array.from(resumed.data)).toEqual(Array.from(trained.data));
  expect(JSON.parse(readFileSync(join(a, 'exported', 'model.json'), 'utf8')).batch).toBe(3);
});

test('train.accumulate: 2 micro-batches of 24 per optimizer step', async () => {
  capture();
  const run = join(dir, 'acc');
  expect(
    await trainCli([
      cfgFile,
      '--out',
      run,
      '--quiet',
      '--train.steps=2',
      '--train.warmup=1',
      '--train.accumulate=2',
    ]),
  ).toBe(0);
  expect(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')).train.accumulate).toBe(2);
  expect(curve(run)).toHaveLength(2); // one line per optimizer step
  expect(await trainCli([cfgFile, '--out', join(dir, 'acc0'), '--train.accumulate=0'])).toBe(1);
});

test('train.unroll: 2 steps per graph run give the same run as 1; multiples are checked', async () => {
  const log = capture();
  const one = join(dir, 'u1');
  const two = join(dir, 'u2');
  expect(await trainCli([cfgFile, '--out', one, '--quiet', '--train.steps=4'])).toBe(0);
  expect(await trainCli([cfgFile, '--out', two, '--quiet', '--train.steps=4', '--train.unroll=2'])).toBe(0);
  const [a, b] = [curve(one), curve(two)];
  expect(b).toHaveLength(4); // one metrics line per optimizer step
  b.forEach((x, i) => expect(x).toBeCloseTo(a[i], 4));
  expect(existsSync(join(two, 'checkpoints', 'step-00000004.safetensors'))).toBe(true);
  expect(
    await trainCli([cfgFile, '--out', join(dir, 'u4'), '--quiet', '--train.steps=8', '--train.unroll=4']),
  ).toBe(1);
  expect(log.join('\n')).toMatch(/train\.checkpointEvery \(2\) must be a multiple of train\.unroll \(4\)/);
});

test("train.evalEvery adds the recipe's periodic evaluation to metrics.jsonl", async () => {
  capture();
  const run = join(dir, 'mv');
  const args = [
    'multiview-tabular',
    '--out',
    run,
    '--quiet',
    '--train.steps=2',
    '--train.warmup=1',
    '--train.checkpointEvery=2',
    '--train.evalEvery=2',
    '--train.workers=0',
    '--recipeConfig.perSpecies=1',
    '--recipeConfig.batchSize=12',
    '--recipeConfig.imageChannels=[4,4,4]',
    '--recipeConfig.textWidth=8',
    '--recipeConfig.textDepth=1',
    '--recipeConfig.embedDim=8',
    '--recipeConfig.tabularHidden=[8]',
  ];
  expect(await trainCli(args)).toBe(0);
  const [first, second] = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const evalKeys = (m: Record<string, unknown>) => Object.keys(m).filter((k) => k.includes('/'));
  expect(evalKeys(first)).toEqual([]);
  expect(evalKeys(second).length).toBeGreaterThan(0);
  for (const k of evalKeys(second)) expect(second[k]).toBeGreaterThanOrEqual(0);
});

test('config errors exit 1 naming the key path with suggestions; usage errors exit 2', async () => {
  const log = capture();
  expect(await trainCli([cfgFile, '--out', join(dir, 'c'), '--train.lrr=1'])).toBe(1);
  expect(log.join('\n')).toContain("unknown key 'train.lrr' — did you mean 'train.lr'?");
  expect(await trainCli([cfgFile, '--out', join(dir, 'c'), '--recipeConfig.embedDim=x'])).toBe(1);
  expect(log.join('\n')).toContain("'recipeConfig.embedDim': expected number, received string");
  log.length = 0;
  expect(await trainCli(['demo', '--print-config', '--train.steps=70', '--recipeConfig.textDepth=1'])).toBe(
    0,
  );
  const printed = JSON.parse(log.join('\n'));
  expect(printed).toMatchObject({ recipe: 'clip-taxonomy', train: { steps: 70, warmup: 30, evalEvery: 0 } });
  expect(printed.recipeConfig).toMatchObject({ textDepth: 1, contextLength: 16, size: 32 });
  expect(await trainCli(['dmeo'])).toBe(1);
  expect(log.join('\n')).toContain("unknown preset 'dmeo' — did you mean 'demo'?");
  expect(await trainCli([])).toBe(2);
  expect(await trainCli(['demo', '--resume'])).toBe(2);
  expect(await trainCli(['demo', '--ouut', 'x'])).toBe(2);
  expect(await trainCli(['demo', '--stop-after', '0'])).toBe(2);
  expect(await exportCli([join(dir, 'absent')])).toBe(1);
  expect(log.join('\n')).toContain('not a run directory written by `clade train`');
  expect(existsSync(join(dir, 'c'))).toBe(false);
});

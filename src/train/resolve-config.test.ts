import { expect, test } from 'vitest';
import { listPresets, loadConfig } from '../config/preset.ts';
import { splitOverrides } from '../config/overrides.ts';
import { buildRecipe, configDiff, configJson, resolveConfig } from './resolve-config.ts';

const ov = (...a: string[]) => splitOverrides(a).overrides;

test('a preset resolves to fully defaulted recipe and train options; overrides re-validate', () => {
  const { raw, file } = loadConfig('demo');
  const c = resolveConfig(raw, { file });
  expect(c.recipeName).toBe('clip-taxonomy');
  expect(c.train).toMatchObject({ steps: 300, lr: 0.002, warmup: 30, minLr: 0 });
  expect(c.recipeConfig).toMatchObject({ embedDim: 64, contextLength: 16, rankWeights: [] }); // recipe defaults
  const o = resolveConfig(raw, {
    file,
    overrides: ov('--train.lr=3e-4', '--recipeConfig.embedDim=128', '--recipeConfig.mixing=perSample'),
  });
  expect(o.train.lr).toBe(3e-4);
  expect(o.recipeConfig).toMatchObject({ embedDim: 128, mixing: 'perSample' });
  expect(configDiff(c, o)).toEqual([
    'recipeConfig.embedDim: 64 → 128',
    'recipeConfig.mixing: "perBatch" → "perSample"',
    'train.lr: 0.002 → 0.0003',
  ]);
  // the written form resolves to the same config
  expect(configDiff(resolveConfig(JSON.parse(JSON.stringify(configJson(o)))), o)).toEqual([]);
});

test('recipeConfig errors name the full dot path and close matches; bad types and unknown recipes too', () => {
  const r =
    (raw: unknown, ...a: string[]) =>
    () =>
      resolveConfig(raw, { file: 'my.json', overrides: ov(...a) });
  const base = { recipe: 'clip-taxonomy' };
  expect(r({ ...base, recipeConfig: { embeddim: 8 } })).toThrow(
    "my.json: unknown key 'recipeConfig.embeddim' — did you mean 'recipeConfig.embedDim'?",
  );
  expect(r(base, '--recipeConfig.emebdDim=8')).toThrow(
    "--recipeConfig.emebdDim=8: unknown key 'recipeConfig.emebdDim' — did you mean 'recipeConfig.embedDim'?",
  );
  expect(r(base, '--recipeConfig.embedDim=big')).toThrow(
    "my.json: 'recipeConfig.embedDim': expected number, received string",
  );
  expect(r(base, '--recipeConfig.imageChannels=[8,16]')).toThrow(/'recipeConfig.imageChannels'/);
  expect(r(base, '--recipeConfig.mixing=sometimes')).toThrow(/'recipeConfig.mixing': .*perBatch.*perSample/);
  expect(r({ recipe: 'clip-taxnomy' })).toThrow(
    "my.json: 'recipe': unknown recipe 'clip-taxnomy' — did you mean 'clip-taxonomy'?",
  );
  expect(r({ ...base, train: { warmpu: 3 } })).toThrow(
    "unknown key 'train.warmpu' — did you mean 'train.warmup'?",
  );
});

test('buildRecipe builds the named recipe with the validated options', async () => {
  const c = resolveConfig(
    { recipe: 'clip-taxonomy', recipeConfig: { perSpecies: 2, batchSize: 24, embedDim: 16 } },
    {},
  );
  if (c.recipeName !== 'clip-taxonomy') throw new Error(c.recipeName);
  const recipe = await buildRecipe(c);
  expect(recipe.name).toBe('clip-taxonomy');
  expect(recipe.batchSize).toBe(24);
  expect(recipe.batchSpec.image.shape).toEqual([24, 3, 32, 32]);
});

test('every preset in src/config/presets resolves against its recipe schema', () => {
  for (const p of listPresets()) {
    const { raw, file } = loadConfig(p.name);
    const c = resolveConfig(raw, { file });
    expect(c.recipeName).toBe(p.recipe);
    expect(c.train.steps).toBe(p.steps);
  }
});

test('a short --train.steps keeps the preset warm-up share; an impossible --train.warmup blames the override', () => {
  const { raw, file } = loadConfig('clip-taxonomy');
  const cfg = resolveConfig(raw, { file, overrides: splitOverrides(['--train.steps=30']).overrides });
  const t = (raw as { train: { steps: number; warmup: number } }).train;
  expect(t.warmup).toBeGreaterThan(30); // the preset's own warm-up is longer than the run
  expect(cfg.train.warmup).toBe(Math.round((30 * t.warmup) / t.steps));
  expect(cfg.notes?.[0]).toContain('--train.steps=30');
  // a long enough run keeps the preset's warm-up untouched and says nothing
  const long = resolveConfig(raw, {
    file,
    overrides: splitOverrides([`--train.steps=${t.warmup}`]).overrides,
  });
  expect(long.train.warmup).toBe(t.warmup);
  expect(long.notes).toBeUndefined();
  expect(() =>
    resolveConfig(raw, {
      file,
      overrides: splitOverrides(['--train.steps=30', '--train.warmup=50']).overrides,
    }),
  ).toThrow(
    "'train.warmup': warm-up (50) is longer than the run (30 steps) (set by --train.warmup=50 on the command line)",
  );
});

test('an override switching a discriminated union variant starts the object afresh, in any order', () => {
  const { raw, file } = loadConfig('simclr-cifar');
  const over = splitOverrides([
    '--recipeConfig.encoder.patch=4',
    '--recipeConfig.encoder.arch=vit',
  ]).overrides;
  const cfg = resolveConfig(raw, { file, overrides: over });
  const enc = (cfg.recipeConfig as { encoder: Record<string, unknown> }).encoder;
  expect(enc.arch).toBe('vit');
  expect(enc.patch).toBe(4);
  expect(enc).not.toHaveProperty('channels');
  // a key of another variant in a file is named as such, not "did you mean" itself
  expect(() =>
    resolveConfig({ recipe: 'simclr-cifar', recipeConfig: { encoder: { arch: 'vit', channels: [1] } } }),
  ).toThrow("key 'recipeConfig.encoder.channels' is not an option of this 'arch' of 'recipeConfig.encoder'");
});

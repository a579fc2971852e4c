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

test('buildRecipe builds the named recipe with the validated options', () => {
  const c = resolveConfig(
    { recipe: 'clip-taxonomy', recipeConfig: { perSpecies: 2, batchSize: 24, embedDim: 16 } },
    {},
  );
  if (c.recipeName !== 'clip-taxonomy') throw new Error(c.recipeName);
  const recipe = buildRecipe(c);
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

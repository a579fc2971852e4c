import { expect, test } from 'vitest';
import { loadConfig } from '../../config/preset.ts';
import { splitOverrides } from '../../config/overrides.ts';
import { buildRecipe, resolveConfig } from '../resolve-config.ts';

test('the clipin, multiview-tabular, radial-finetune and clip-replay presets resolve and build; unknown keys are named', async () => {
  for (const name of ['clipin', 'multiview-tabular', 'radial-finetune', 'clip-replay']) {
    const { raw, file } = loadConfig(name);
    const c = resolveConfig(raw, { file });
    expect(c.recipeName).toBe(name);
    expect((await buildRecipe(c)).name).toBe(name);
  }
  const { raw, file } = loadConfig('clipin');
  expect(() =>
    resolveConfig(raw, { file, overrides: splitOverrides(['--recipeConfig.ncDimm=8']).overrides }),
  ).toThrow(/recipeConfig\.ncDimm.*recipeConfig\.ncDim/);
  const mv = resolveConfig(loadConfig('multiview-tabular').raw, {
    overrides: splitOverrides(['--recipeConfig.mode=full']).overrides,
  });
  expect(mv.recipeConfig).toMatchObject({ mode: 'full', core: 'image', temperature: 0.07 });
  const re = resolveConfig(loadConfig('radial-finetune').raw);
  expect(re.recipeConfig).toMatchObject({ weights: { p: 10, e: 1, m: 1 }, batchSize: 8 });
  expect(re.train).toMatchObject({ lr: 1e-5, minLr: 1e-5, warmup: 0 }); // constant lr, as the RE code (no scheduler)
});

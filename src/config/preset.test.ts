import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { listPresets, loadConfig, mergeConfig, presetNames, PresetSchema } from './preset.ts';
import { parseOrThrow } from './zod-errors.ts';

test('every JSON file in presets/ is listed, parses, and has a recipe and a description', () => {
  const names = presetNames();
  expect(names).toContain('demo');
  expect(names).toContain('clip-taxonomy');
  const all = listPresets();
  expect(all.map((p) => p.name)).toEqual(names);
  for (const p of all) {
    expect(p.recipe.length).toBeGreaterThan(0);
    expect(p.description.length).toBeGreaterThan(0);
  }
  const demo = all.find((p) => p.name === 'demo')!;
  expect(demo).toMatchObject({ recipe: 'clip-taxonomy', steps: 300 });
  expect(all.find((p) => p.name === 'clip-taxonomy')!.steps).toBeGreaterThan(300);
});

test('loadConfig reads presets by name and files by path; unknown names suggest close ones', () => {
  expect(loadConfig('demo').raw.recipe).toBe('clip-taxonomy');
  const dir = mkdtempSync(join(tmpdir(), 'clade-cfg-'));
  const f = join(dir, 'mine.json');
  writeFileSync(f, JSON.stringify({ recipe: 'clip-taxonomy', train: { steps: 3 } }));
  expect(loadConfig(f)).toMatchObject({ name: 'mine', raw: { train: { steps: 3 } } });
  expect(() => loadConfig('dmeo')).toThrow("unknown preset 'dmeo' — did you mean 'demo'?");
  expect(() => loadConfig(join(dir, 'absent.json'))).toThrow('absent.json: config file does not exist');
  writeFileSync(join(dir, 'bad.json'), '{ "recipe": ');
  expect(() => loadConfig(join(dir, 'bad.json'))).toThrow(/bad\.json: invalid JSON/);
});

test('the preset schema fills train defaults and rejects unknown keys by full dot path', () => {
  const p = PresetSchema.parse({ recipe: 'x' });
  expect(p.train).toMatchObject({ steps: 1000, lr: 1e-3, warmup: 100, minLr: 0, keepLast: 2 });
  expect(p.recipeConfig).toEqual({});
  const parse = (raw: unknown) => () => parseOrThrow(PresetSchema, raw, { file: 'my.json' });
  expect(parse({ recipe: 'x', train: { lrr: 1 } })).toThrow(
    "my.json: unknown key 'train.lrr' — did you mean 'train.lr'?",
  );
  expect(parse({ recipe: 'x', trian: {} })).toThrow("my.json: unknown key 'trian' — did you mean 'train'?");
  expect(parse({ recipe: 'x', train: { lr: 'fast' } })).toThrow(
    "my.json: 'train.lr': expected number, received string",
  );
  expect(parse({ train: {} })).toThrow("missing required key 'recipe'");
  expect(parse({ recipe: 'x', train: { steps: 10, warmup: 20 } })).toThrow(
    "'train.warmup': warm-up (20) is longer than the run (10 steps)",
  );
  expect(parse({ recipe: 'x', train: { steps: 1.5, keepLast: 0 } })).toThrow(
    /invalid config:\n  - 'train.steps': expected int.*\n  - 'train.keepLast'/,
  );
});

test('a config can extend a preset or another file; objects merge, lists and scalars replace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clade-cfg-'));
  writeFileSync(
    join(dir, 'short.json'),
    JSON.stringify({ extends: 'demo', train: { steps: 50 }, recipeConfig: { imageChannels: [8, 8, 8] } }),
  );
  const short = loadConfig(join(dir, 'short.json')).raw;
  expect(short).toMatchObject({ recipe: 'clip-taxonomy', train: { steps: 50, lr: 0.002, warmup: 30 } });
  expect((short.recipeConfig as { imageChannels: number[]; embedDim: number }).imageChannels).toEqual([
    8, 8, 8,
  ]);
  expect((short.recipeConfig as { embedDim: number }).embedDim).toBe(64);
  expect(short.extends).toBeUndefined();
  // relative to the extending file's folder, chained
  writeFileSync(join(dir, 'shorter.json'), JSON.stringify({ extends: './short.json', train: { lr: 1e-3 } }));
  expect(loadConfig(join(dir, 'shorter.json')).raw).toMatchObject({
    train: { steps: 50, lr: 1e-3, warmup: 30 },
  });
  // another recipe does not inherit the base's recipeConfig
  expect(mergeConfig({ recipe: 'a', recipeConfig: { x: 1 } }, { recipe: 'b' })).toEqual({
    recipe: 'b',
    recipeConfig: {},
  });
  writeFileSync(join(dir, 'loop-a.json'), JSON.stringify({ extends: './loop-b.json' }));
  writeFileSync(join(dir, 'loop-b.json'), JSON.stringify({ extends: './loop-a.json' }));
  expect(() => loadConfig(join(dir, 'loop-a.json'))).toThrow("'extends' cycle");
  writeFileSync(join(dir, 'bad-ext.json'), JSON.stringify({ extends: 'dmeo' }));
  expect(() => loadConfig(join(dir, 'bad-ext.json'))).toThrow("unknown preset 'dmeo' — did you mean 'demo'?");
});

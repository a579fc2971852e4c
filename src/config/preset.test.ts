import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { listPresets, loadConfig, presetNames, PresetSchema } from './preset.ts';
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

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { Rng } from '../util/rng.ts';
import { writeModelDir } from './model-dir.ts';
import { clipTaxonomy } from './recipes/clip-taxonomy.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-model-dir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('re-exporting replaces the model directory as a unit: no file of the previous export survives', () => {
  const recipe = clipTaxonomy({
    perSpecies: 1,
    imageChannels: [8, 8, 8],
    textWidth: 8,
    textDepth: 1,
    embedDim: 8,
    contextLength: 12,
  });
  const m = join(dir, 'model');
  writeModelDir(m, recipe, recipe.init(new Rng(1)), 4);
  writeFileSync(join(m, 'tabular.onnx'), 'a tower of an older export');
  writeModelDir(m, recipe, recipe.init(new Rng(2)), 4);
  expect(readdirSync(m).sort()).toEqual(['image.onnx', 'model.json', 'text.onnx', 'weights.safetensors']);
  expect(readdirSync(dir)).toEqual(['model']);
});

test('a reader finds the previous model directory when a re-export was killed between its two renames', async () => {
  const { renameSync, mkdirSync } = await import('node:fs');
  const { readModelJson } = await import('./model-dir.ts');
  const m = join(dir, 'model');
  renameSync(m, join(dir, '.model.999999999.1.old')); // moved aside by a writer that is gone
  mkdirSync(join(dir, '.model.999999999.1.tmp'));
  expect(readModelJson(m).schema).toBe('clade.model/1');
  expect(readdirSync(dir)).toEqual(['model']);
});

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../config/preset.ts';
import { readManifest } from '../../data/readers/manifest.ts';
import { resolveConfig } from '../resolve-config.ts';
import { runTraining } from '../run.ts';
import { RECIPES } from './index.ts';
import { openSpecSource } from './parts/spec-data.ts';
import { PENGUIN_MEASURES, penguinsDataSpec } from './parts/penguins-data.ts';
import { multiviewTabularSchema } from './schemas.ts';

// multiview-tabular's `dataset: 'palmer-penguins'` on a small penguins.csv the test writes (the shared file's
// columns and NA convention): 3 species × 10 birds, one bird without any measurement, one without a body mass, one
// without a sex. The real file: spec-penguins.data.test.ts.
const tmp = mkdtempSync(join(tmpdir(), 'clade-penguins-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HEADER = 'species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year';
function table(dir: string, edit: (rows: string[]) => void = () => {}): string {
  mkdirSync(dir, { recursive: true });
  const base: Record<string, number[]> = {
    Adelie: [38, 18, 190, 3700],
    Chinstrap: [49, 18, 196, 3700],
    Gentoo: [47, 15, 217, 5000],
  };
  const rows: string[] = [];
  for (const [sp, m] of Object.entries(base))
    for (let i = 0; i < 10; i++) {
      const male = i % 2 === 0;
      const v = m.map((x, j) => (x * (male ? 1.05 : 0.95) + ((i * 7 + j * 3) % 5) * 0.1).toFixed(1));
      rows.push(`${sp},Biscoe,${v.join(',')},${male ? 'male' : 'female'},2008`);
    }
  rows[3] = 'Adelie,Torgersen,NA,NA,NA,NA,NA,2007';
  rows[14] = rows[14].replace(/,[0-9.]+,(male|female),/, ',NA,$1,');
  rows[25] = rows[25].replace(/,(male|female),/, ',NA,');
  edit(rows);
  writeFileSync(join(dir, 'penguins.csv'), [HEADER, ...rows].join('\n') + '\n');
  return dir;
}
const good = table(join(tmp, 'good'));
const tiny = {
  dataset: 'palmer-penguins',
  dataDir: good,
  views: ['tabular', 'tabular'],
  core: 'tabular',
  batchSize: 8,
  embedDim: 8,
  tabularHidden: [16],
  imageChannels: [4, 4, 4],
  textWidth: 8,
  textDepth: 1,
  textHeads: 1,
} as const;

describe("multiview-tabular dataset 'palmer-penguins'", () => {
  test('rows missing a measurement are left out (not the one missing only its sex); a seeded 20 % split', async () => {
    const spec = penguinsDataSpec({ dataDir: good, seed: 3, data: '', views: ['tabular', 'tabular'] });
    const src = await openSpecSource(spec);
    // 30 rows − 2 without all four measurements = 28; round(0.2 · 28) = 6 held out
    expect(src.train!.length).toBe(22);
    expect(src.val!.length).toBe(6);
    expect(src.taxonomy?.size).toBe(3);
    const ds = await readManifest(join(good, 'penguins.csv'), {
      columns: { label: 'species', tabular: [...PENGUIN_MEASURES] },
      dropMissing: [...PENGUIN_MEASURES],
    });
    expect(ds.length).toBe(28);
    expect(ds.dropped).toBe(2);
    expect(ds.rows).not.toContain(4); // data row 4 is the bird without measurements
    for (let i = 0; i < ds.length; i++) expect(ds.get(i).tabular!.some(Number.isNaN)).toBe(false);
  });

  test('the preset trains tabular-only CMC on it and exports a tabular tower', async () => {
    const raw = loadConfig('multiview-penguins').raw as {
      recipeConfig: Record<string, unknown>;
      train: Record<string, unknown>;
    };
    const cfg = resolveConfig({
      ...raw,
      recipeConfig: { ...raw.recipeConfig, ...tiny },
      train: { ...raw.train, steps: 6, warmup: 2, checkpointEvery: 6, evalEvery: 6 },
    });
    const run = await runTraining(cfg, { outDir: join(tmp, 'run'), quiet: true });
    expect(run.finished).toBe(true);
    expect(Object.keys(run.model!.towers)).toContain('tabular');
    const lines = readFileSync(join(tmp, 'run', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>);
    expect(lines.length).toBe(6);
    for (const l of lines) expect(Number.isFinite(l.loss)).toBe(true);
    // kNN by species of the 6 validation rows at step 6
    expect(lines[5]['knn/species']).toBeGreaterThanOrEqual(0);
  }, 120_000);

  test('bad input: an image view, a data SPEC as well, no penguins.csv, a non-numeric measurement', async () => {
    const build = (o: Record<string, unknown>) =>
      RECIPES['multiview-tabular'].build(multiviewTabularSchema.parse({ ...tiny, ...o }));
    await expect(build({ views: ['image', 'tabular'], core: 'image' })).rejects.toThrow(
      "field recipeConfig.views: palmer-penguins has no images: use views ['tabular', 'tabular']",
    );
    await expect(build({ data: join(good, 'penguins.csv') })).rejects.toThrow(
      "give either recipeConfig.data (a SPEC) or recipeConfig.dataset 'palmer-penguins', not both",
    );
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    await expect(build({ dataDir: empty })).rejects.toThrow(
      `${join(empty, 'penguins.csv')}: field recipeConfig.dataDir: palmer-penguins: no penguins.csv`,
    );
    const bad = table(
      join(tmp, 'bad'),
      (rows) => (rows[6] = rows[6].replace(/,Biscoe,[0-9.]+,/, ',Biscoe,4o.1,')),
    );
    await expect(build({ dataDir: bad })).rejects.toThrow(
      `${join(bad, 'penguins.csv')}: row 7: column bill_length_mm: '4o.1' is not a number`,
    );
    await expect(
      readManifest(join(good, 'penguins.csv'), {
        columns: { label: 'species' },
        dropMissing: ['body_mas_g'],
      }),
    ).rejects.toThrow("dropMissing: missing column 'body_mas_g'");
  });
});

import { describe, expect, test } from 'vitest';
import { readManifest } from './manifest.ts';
import { readCsv } from './csv.ts';
import { sharedDatasetsDir } from './shared-datasets.ts';
import { Taxonomy } from '../taxonomy/taxonomy.ts';

const dir = sharedDatasetsDir('palmer-penguins');
const MEASURES = ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g'];

describe('Palmer penguins via the manifest reader', () => {
  test('344 birds, species counts, NA handling as documented', async () => {
    const ds = await readManifest(`${dir}/penguins.csv`, {
      columns: {
        label: 'species',
        variants: ['sex'],
        attributes: ['island'],
        traits: MEASURES,
        tabular: MEASURES,
      },
    });
    expect(ds.length).toBe(344);
    expect(ds.classNames).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    const counts = [0, 0, 0];
    for (const l of ds.labels) counts[l]++;
    expect(counts).toEqual([152, 68, 124]);
    let allNa = 0,
      sexNa = 0;
    const islands = new Set<string>();
    for (let i = 0; i < ds.length; i++) {
      const s = ds.get(i);
      if (s.tabular!.every((v) => Number.isNaN(v))) allNa++;
      if (!s.variants!.sex) sexNa++;
      islands.add(s.attributes!.island);
    }
    expect(allNa).toBe(2);
    expect(sexNa).toBe(11);
    expect([...islands].sort()).toEqual(['Biscoe', 'Dream', 'Torgersen']);
    const first = ds.get(0);
    expect(Array.from(first.tabular!)).toEqual([39.1, 18.7, 181, 3750].map(Math.fround));
    expect(first.traits).toEqual({
      bill_length_mm: 39.1,
      bill_depth_mm: 18.7,
      flipper_length_mm: 181,
      body_mass_g: 3750,
    });
    expect(first.variants).toEqual({ sex: 'male' });
    expect(ds.get(3).traits).toEqual({});
  });

  test('penguins_raw.csv (quoted fields) has the same 344 rows; taxonomy.csv builds a 5-rank taxonomy', async () => {
    const rawDs = await readManifest(`${dir}/penguins_raw.csv`, {
      columns: { label: 'Species', tabular: ['Culmen Length (mm)'] },
    });
    expect(rawDs.length).toBe(344);
    expect(rawDs.get(0).tabular![0]).toBeCloseTo(39.1, 5);
    expect(rawDs.classNames[0]).toBe('Adelie Penguin (Pygoscelis adeliae)');
    const table = readCsv(`${dir}/taxonomy.csv`);
    const rows = table.rows.map((r) => Object.fromEntries(table.header.map((h, k) => [h, r[k]])));
    const t = Taxonomy.fromRows(['class', 'order', 'family', 'genus', 'species'], rows, {
      scientific: 'species_scientific',
    });
    expect(t.size).toBe(3);
    expect(t.classesUnder('genus', 'Pygoscelis')).toEqual([0, 1, 2]);
    expect(t.scientific(1)).toBe('Pygoscelis antarctica');
    expect(t.cladesAt('family')).toEqual(['Spheniscidae']);
  });
});

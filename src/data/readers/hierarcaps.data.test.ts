import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { readHierarCaps, readHierarCapsExpanded } from './hierarcaps.ts';
import { sharedDatasetsDir } from './shared-datasets.ts';

const dir = sharedDatasetsDir('hierarcaps');

describe('HierarCaps (shared/datasets/hierarcaps)', () => {
  const ds = readHierarCaps(`${dir}/hierarcaps_test.csv`, { images: `${dir}/images_64x64.bin` });

  test('test CSV: 1,000 rows of 4 levels; level statistics as docs/methods.md §C.4', () => {
    expect(ds.length).toBe(1000);
    expect(ds.skipped).toHaveLength(0);
    expect(ds.get(1).captions).toEqual([
      'bird',
      'blue bird',
      'blue bird sitting on top of branch',
      'A blue bird sitting on the top of a branch with autumn leaves',
    ]);
    const perLevel = [new Set<string>(), new Set<string>(), new Set<string>(), new Set<string>()];
    const all = new Set<string>();
    for (let i = 0; i < ds.length; i++)
      ds.get(i).captions!.forEach((c, l) => {
        perLevel[l].add(c);
        all.add(c);
      });
    expect(perLevel.map((s) => s.size)).toEqual([491, 717, 999, 1000]);
    expect(all.size).toBe(3132);
    expect(new Set(ds.imageUrls).size).toBe(1000);
    for (const u of ds.imageUrls)
      expect(u).toMatch(/^http:\/\/images\.cocodataset\.org\/val2014\/COCO_val2014_\d{12}\.jpg$/);
  });

  test('images: 64x64 planar → HWC, record i = row id i', () => {
    const raw = readFileSync(`${dir}/images_64x64.bin`);
    expect(raw.length).toBe(1000 * 12288);
    for (const i of [0, 1, 500, 999]) {
      const s = ds.get(i); // rows are in id order in this file
      const img = s.image!;
      expect(img).toMatchObject({ width: 64, height: 64, channels: 3 });
      for (const [y, x] of [
        [0, 0],
        [32, 17],
        [63, 63],
      ])
        for (let c = 0; c < 3; c++)
          expect(img.data[(y * 64 + x) * 3 + c]).toBe(raw[i * 12288 + c * 4096 + y * 64 + x]);
    }
  });

  test('expanded CSV.gz: 23,479 positive/negative 4-level pairs over 5,000 images', () => {
    const { pairs, skipped } = readHierarCapsExpanded(`${dir}/hierarcaps_test_expanded.csv.gz`);
    expect(skipped).toHaveLength(0);
    expect(pairs).toHaveLength(23479);
    expect(new Set(pairs.map((p) => p.imageUrl)).size).toBe(5000);
    expect(new Set(pairs.flatMap((p) => p.positive)).size).toBe(52401);
    expect(pairs[0].positive[1]).toBe('motorcycle');
    expect(
      pairs.some((p) => p.positive.some((t) => t.includes('\n')) || p.negative.some((t) => t.includes('\n'))),
    ).toBe(true);
  });
});

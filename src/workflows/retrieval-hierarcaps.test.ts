import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, test, vi } from 'vitest';
import { run as embedCli } from '../cli/commands/embed.ts';
import { run as hierarcapsCli } from '../cli/commands/hierarcaps.ts';
import { run as retrievalCli } from '../cli/commands/retrieval.ts';
import { writeNpy } from '../io/npy.ts';
import { readResults } from '../report/index.ts';
import { Rng } from '../util/rng.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-ret-hc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());
const FIXTURE = join(import.meta.dirname, '../../test/fixtures/open_clip/tiny-vit-gelu');
const quiet = () => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
};
const metrics = (out: string) => readResults(out)[0].result.metrics as Record<string, number>;

test('clade retrieval: two captions per image, by count or by a text table, ranks by hand', async () => {
  quiet();
  // images (1,0), (0,1); captions 0–1 of image 0, 2–3 of image 1: cosines to image 0 are .995, 0, .0995, 1.
  // image→text: each image's best caption (.995) has one wrong caption above it → rank 2, 2: R@1 0, R@5 1.
  // text→image: t0, t2 rank 1; t1 (0 vs 1) and t3 (0 vs 1) rank 2: R@1 0.5, mean rank 1.5.
  writeNpy(join(dir, 'img.npy'), new Float32Array([1, 0, 0, 1]), [2, 2]);
  writeNpy(join(dir, 'txt.npy'), new Float32Array([1, 0.1, 0, 1, 0.1, 1, 1, 0]), [4, 2]);
  const args = [join(dir, 'img.npy'), '--texts', join(dir, 'txt.npy')];
  expect(await retrievalCli([...args, '--captions-per-image', '2', '--out', join(dir, 'r1')])).toBe(0);
  const m = metrics(join(dir, 'r1'));
  expect(m).toMatchObject({
    'imageToText_R@1': 0,
    'imageToText_R@5': 1,
    imageToText_meanRank: 2,
    'textToImage_R@1': 0.5,
    'textToImage_R@10': 1,
    textToImage_meanRank: 1.5,
    textToImage_medianRank: 1.5,
  });
  writeFileSync(join(dir, 'captions.csv'), 'image,text\n0,a\n0,b\n1,c\n1,d\n');
  expect(
    await retrievalCli([...args, '--text-meta', join(dir, 'captions.csv'), '--out', join(dir, 'r2')]),
  ).toBe(0);
  expect(metrics(join(dir, 'r2'))).toEqual(m);
  await expect(
    retrievalCli([...args, '--captions-per-image', '3', '--out', join(dir, 'r3')]),
  ).rejects.toThrow(/txt\.npy: 4 text embeddings for 2 images × 3 captions \(expected 6\)/);
  writeFileSync(join(dir, 'bad.csv'), 'image\n0\n0\n7\n1\n');
  await expect(
    retrievalCli([...args, '--text-meta', join(dir, 'bad.csv'), '--out', join(dir, 'r4')]),
  ).rejects.toThrow(/bad\.csv: row 2: column image: image '7' is not an id of .*img\.npy/);
});

/** A three-row HierarCaps test set with random 64×64 images. */
function hierarcapsData() {
  const d = join(dir, 'hc');
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d);
  writeFileSync(
    join(d, 'hierarcaps_test.csv'),
    'id,captions,image_url\n' +
      '0,animal => dog => dog on grass => a brown dog running on green grass,u0\n' +
      '1,vehicle => bus => red bus => a red bus parked by the road,u1\n' +
      '2,food => pizza => pizza slice => a slice of pizza on a white plate,u2\n',
  );
  const rng = new Rng(3);
  writeFileSync(
    join(d, 'images_64x64.bin'),
    Uint8Array.from({ length: 3 * 12288 }, () => rng.int(256)),
  );
  return d;
}

test('clade hierarcaps on an open_clip folder equals the same evaluation on clade embed output', async () => {
  quiet();
  const data = hierarcapsData();
  expect(await hierarcapsCli(['--data', data, '--model', FIXTURE, '--out', join(dir, 'h1')])).toBe(0);
  const [r] = readResults(join(dir, 'h1'));
  expect(r.result.params).toMatchObject({ rows: 3, pool: 12, steps: 50 });
  const m = r.result.metrics as Record<string, number>;
  for (const k of ['precision', 'recall'])
    (expect(m[k]).toBeGreaterThanOrEqual(0), expect(m[k]).toBeLessThanOrEqual(1));
  expect(Math.abs(m.dCorr)).toBeLessThanOrEqual(1);
  // the same through files: images via the hierarcaps data spec, texts (levels, then the empty line = root) via .txt
  const csv = join(data, 'hierarcaps_test.csv');
  const img = join(dir, 'hc-img.npy');
  const txt = join(dir, 'hc-txt.npy');
  expect(
    await embedCli([
      FIXTURE,
      `hierarcaps:${csv}?images=${join(data, 'images_64x64.bin')}`,
      '--out',
      img,
      '--quiet',
    ]),
  ).toBe(0);
  const levels = [
    'animal',
    'dog',
    'dog on grass',
    'a brown dog running on green grass',
    'vehicle',
    'bus',
    'red bus',
    'a red bus parked by the road',
    'food',
    'pizza',
    'pizza slice',
    'a slice of pizza on a white plate',
  ];
  writeFileSync(join(dir, 'levels.txt'), [...levels, ''].join('\n') + '\n');
  expect(await embedCli([FIXTURE, join(dir, 'levels.txt'), '--tower', 'text', '--out', txt, '--quiet'])).toBe(
    0,
  );
  expect(
    await hierarcapsCli(['--data', data, '--images', img, '--texts', txt, '--out', join(dir, 'h2')]),
  ).toBe(0);
  const m2 = metrics(join(dir, 'h2'));
  for (const k of ['precision', 'recall', 'dCorr']) expect(m2[k]).toBeCloseTo(m[k], 5);
});

test('clade hierarcaps on precomputed embeddings: radii that shrink with depth give d_corr = −1; counts are checked', async () => {
  quiet();
  const data = hierarcapsData();
  // root e("") = e0; level k of every chain at angle (4 − k)·20° from it in its own plane: radius falls with depth
  const D = 8;
  const texts = new Float32Array((12 + 1) * D);
  for (let i = 0; i < 3; i++)
    for (let k = 0; k < 4; k++) {
      const a = ((4 - k) * 20 * Math.PI) / 180;
      texts[(4 * i + k) * D] = Math.cos(a);
      texts[(4 * i + k) * D + 1 + i] = Math.sin(a);
    }
  texts[12 * D] = 1;
  writeNpy(join(dir, 'p-txt.npy'), texts, [13, D]);
  writeNpy(join(dir, 'p-img.npy'), texts.slice(0, 3 * D), [3, D]);
  expect(
    await hierarcapsCli([
      '--data',
      data,
      '--images',
      join(dir, 'p-img.npy'),
      '--texts',
      join(dir, 'p-txt.npy'),
      '--out',
      join(dir, 'h3'),
    ]),
  ).toBe(0);
  const [r] = readResults(join(dir, 'h3'));
  expect((r.result.metrics as Record<string, number>).dCorr).toBe(-1);
  const rad = r.result.series!.radiusByLevel!.radius as number[];
  expect(rad[0]).toBeGreaterThan(rad[3]);
  writeNpy(join(dir, 'short.npy'), texts.slice(0, 12 * D), [12, D]);
  await expect(
    hierarcapsCli([
      '--data',
      data,
      '--images',
      join(dir, 'p-img.npy'),
      '--texts',
      join(dir, 'short.npy'),
      '--out',
      join(dir, 'h4'),
    ]),
  ).rejects.toThrow(
    /short\.npy: expected 13 text embeddings \(4 levels per test row, then the empty text\), got 12/,
  );
});

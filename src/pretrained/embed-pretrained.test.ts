import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test, vi } from 'vitest';
import { run as embedCli } from '../cli/commands/embed.ts';
import { readNpy } from '../io/npy.ts';
import { maxAbsDiff, readReference, rowCosines } from './fixture-check.ts';

const FIXTURE = join(import.meta.dirname, '../../test/fixtures/open_clip/tiny-vit-gelu');
const dir = mkdtempSync(join(tmpdir(), 'clade-embed-oc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('clade embed takes an open_clip folder: a flat image folder and a .txt (empty line = empty text)', async () => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  const ref = readReference(FIXTURE);
  const img = join(dir, 'img.npy');
  expect(await embedCli([FIXTURE, join(FIXTURE, 'images'), '--out', img, '--quiet'])).toBe(0);
  const e = readNpy(img);
  expect(e.shape).toEqual([4, 24]);
  const got = { data: e.data as Float32Array, n: 4, d: 24 };
  const want = { data: Float32Array.from(ref.image_embeds.flat()), n: 4, d: 24 };
  for (const c of rowCosines(got, want)) expect(c).toBeGreaterThanOrEqual(0.999);

  writeFileSync(join(dir, 'texts.txt'), ref.texts.join('\n') + '\n');
  const txt = join(dir, 'txt.npy');
  expect(await embedCli([FIXTURE, join(dir, 'texts.txt'), '--tower', 'text', '--out', txt, '--quiet'])).toBe(
    0,
  );
  const t = readNpy(txt);
  expect(t.shape).toEqual([6, 24]);
  expect(maxAbsDiff(t.data as Float32Array, ref.text_embeds.flat())).toBeLessThan(1e-4);
});

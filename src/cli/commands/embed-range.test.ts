import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, test, vi } from 'vitest';
import { readNpy } from '../../io/npy.ts';
import { readMetaTable } from '../../io/metadata.ts';
import { run as embedCli } from './embed.ts';

const FIXTURE = join(import.meta.dirname, '../../../test/fixtures/open_clip/tiny-vit-gelu');
const dir = mkdtempSync(join(tmpdir(), 'clade-embed-range-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** An IDX pair of `n` 28×28 images (pixel value 40·i + x) with labels i mod 3. */
function idx(n: number) {
  const img = Buffer.alloc(16 + n * 784);
  img.writeUInt32BE(0x803, 0);
  img.writeUInt32BE(n, 4);
  img.writeUInt32BE(28, 8);
  img.writeUInt32BE(28, 12);
  for (let i = 0; i < n; i++) for (let p = 0; p < 784; p++) img[16 + i * 784 + p] = (40 * i + (p % 28)) % 256;
  const lab = Buffer.alloc(8 + n);
  lab.writeUInt32BE(0x801, 0);
  lab.writeUInt32BE(n, 4);
  for (let i = 0; i < n; i++) lab[8 + i] = i % 3;
  writeFileSync(join(dir, 'images-idx3-ubyte'), img);
  writeFileSync(join(dir, 'labels-idx1-ubyte'), lab);
  return `mnist:${join(dir, 'images-idx3-ubyte')},${join(dir, 'labels-idx1-ubyte')}`;
}

test('clade embed --offset/--limit embeds a range equal to those rows of the whole; --class-names names IDX classes', async () => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  const spec = idx(6);
  expect(await embedCli([FIXTURE, spec, '--out', join(dir, 'all.npy'), '--quiet'])).toBe(0);
  const names = join(dir, 'names.txt');
  writeFileSync(
    names,
    'T-shirt/top\nTrouser\nPullover\nDress\nCoat\nSandal\nShirt\nSneaker\nBag\nAnkle boot\n',
  );
  expect(
    await embedCli([
      FIXTURE,
      spec,
      '--out',
      join(dir, 'part.npy'),
      '--offset',
      '2',
      '--limit',
      '3',
      '--meta',
      join(dir, 'part.csv'),
      '--class-names',
      names,
      '--quiet',
    ]),
  ).toBe(0);
  const all = readNpy(join(dir, 'all.npy'));
  const part = readNpy(join(dir, 'part.npy'));
  expect(part.shape).toEqual([3, all.shape[1]]);
  const d = all.shape[1];
  expect(Array.from(part.data as Float32Array)).toEqual(
    Array.from((all.data as Float32Array).slice(2 * d, 5 * d)),
  );
  const side = (f: string) =>
    JSON.parse(readFileSync(join(dir, f), 'utf8')) as { ids: string[]; labelNames: string[] };
  expect(side('part.json').ids).toEqual(side('all.json').ids.slice(2, 5));
  expect(side('part.json').labelNames.slice(0, 3)).toEqual(['T-shirt/top', 'Trouser', 'Pullover']);
  const meta = await readMetaTable(join(dir, 'part.csv'));
  expect(meta.columns.name).toEqual(['Pullover', 'T-shirt/top', 'Trouser']); // labels 2, 0, 1
  // the sidecar itself is a --meta table for clade analyze
  const t = await readMetaTable(join(dir, 'part.json'));
  expect(t.columns.label_name).toEqual(['Pullover', 'T-shirt/top', 'Trouser']);
  expect(t.columns.id).toEqual(side('all.json').ids.slice(2, 5));
  const errors: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
  expect(await embedCli([FIXTURE, spec, '--out', join(dir, 'x.npy'), '--offset', '6', '--quiet'])).toBe(1);
  expect(errors.join('\n')).toMatch(/--offset 6 is past the last of 6 samples/);
});

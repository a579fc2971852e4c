import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { tableFromIPC } from 'apache-arrow';
import { writeNpy } from '../../io/npy.ts';
import { DATA_CALLBACK, type ExplorerManifest } from '../../explore/format.ts';
import { webDistDir } from '../../explore/write-explorer.ts';
import { CladeError } from '../../util/errors.ts';
import { run } from './explore.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-explore-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const N = 40;
const D = 8;

/** The payload a data script delivers. */
function payload<T>(file: string): T {
  let got: unknown;
  new Function(DATA_CALLBACK, readFileSync(file, 'utf8'))((_: string, p: unknown) => (got = p));
  return got as T;
}

beforeAll(async () => {
  if (!existsSync(join(webDistDir(), 'index.html'))) {
    const { build } = await import('vite');
    await build({ configFile: join(import.meta.dirname, '../../../web/vite.config.ts'), logLevel: 'error' });
  }
  const x = Float32Array.from({ length: N * D }, (_, i) => Math.sin(i * 0.37) + (((i / D) | 0) % 4));
  writeNpy(join(dir, 'emb.npy'), x, [N, D]);
  const rows = ['path,genus,species,size'];
  for (let i = 0; i < N; i++) {
    rows.push(`img${i}.png,G${i % 4},s${i % 8},${(i * 1.37).toFixed(2)}`);
    const px = Buffer.alloc(8 * 6 * 3, (i * 29) % 255);
    await sharp(px, { raw: { width: 8, height: 6, channels: 3 } })
      .png()
      .toFile(join(dir, `img${i}.png`));
  }
  writeFileSync(join(dir, 'meta.csv'), rows.join('\n') + '\n');
});

test('clade explore writes the folder: points table, ranks, projections, thumbnails, manifest', async () => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
  const out = join(dir, 'ex');
  const argv = [join(dir, 'emb.npy'), '--meta', join(dir, 'meta.csv'), '--ranks', 'genus,species'];
  expect(await run([...argv, '--images', 'path', '--projections', 'pca,umap', '--out', out])).toBe(0);
  const m = payload<ExplorerManifest>(join(out, 'data/manifest.js'));
  expect(m).toMatchObject({ n: N, d: D, ranks: ['genus', 'species'], results: 0, model: null, text: null });
  expect(m.projections.map((p) => p.name)).toEqual(['umap', 'pca']);
  expect(m.columns).toEqual([
    { name: 'genus', kind: 'categorical', categories: 4 },
    { name: 'species', kind: 'categorical', categories: 8 },
    { name: 'size', kind: 'numeric' },
  ]);
  expect(existsSync(join(out, 'index.html'))).toBe(true);
  expect(existsSync(join(out, 'thumbs/0/39.png'))).toBe(true);
  const t = tableFromIPC(Buffer.from(payload<string>(join(out, 'data/points.js')), 'base64'));
  expect(t.getChild('species')!.get(9)).toBe('s1');
  expect(t.getChild('id')!.get(3)).toBe('3');
  const emb = Buffer.from(payload<string>(join(out, 'data/embeddings-000.js')), 'base64');
  expect(emb.byteLength).toBe(N * D * 4);
  // rewriting replaces the folder whole
  expect(await run([...argv, '--projections', 'pca', '--out', out])).toBe(0);
  expect(existsSync(join(out, 'thumbs'))).toBe(false);
  vi.restoreAllMocks();
});

test('bad input: a rank that is not a column, an unknown projection', async () => {
  const argv = [join(dir, 'emb.npy'), '--meta', join(dir, 'meta.csv'), '--out', join(dir, 'bad')];
  await expect(run([...argv, '--ranks', 'genus,family'])).rejects.toThrow(/rank column 'family'/);
  await expect(run([...argv, '--projections', 'pca,mds'])).rejects.toThrow(CladeError);
  expect(existsSync(join(dir, 'bad'))).toBe(false);
});

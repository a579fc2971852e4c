import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, expect, test, vi } from 'vitest';
import { run as trainCli } from '../../cli/commands/train.ts';
import { withImage } from '../../data/readers/decode-image.ts';
import { readManifest } from '../../data/readers/manifest.ts';
import { writeWebDataset } from '../../data/readers/webdataset-writer.ts';
import type { Sample } from '../../data/types.ts';
import { writeSpecFixture } from '../../../test/support/spec-fixtures.ts';

// A WebDataset in BioCLIP's shard layout (`.png` + `taxon.txt`, `sci.txt`, `com.txt`, `sci_com.txt`,
// `taxon_com.txt`; no class file, so classes come from the `taxon` texts) trained with `clade train --data
// webdataset:…` through the StreamLoader and a worker thread; a process killed with SIGKILL mid-epoch resumes to
// the uninterrupted loss curve.

const dir = mkdtempSync(join(tmpdir(), 'clade-spec-wds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());
const ROOT = resolve(__dirname, '../../..');

const lines = (run: string) => {
  const f = join(run, 'metrics.jsonl');
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean) : [];
};
const curve = (run: string) => lines(run).map((l) => JSON.parse(l).loss as number);

test('a WebDataset run killed with SIGKILL resumes to the uninterrupted loss curve', async () => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
  const f = await writeSpecFixture(join(dir, 'fixture'), 10);
  const ds = await readManifest(f.csv, {
    columns: { image: 'path', ranks: ['genus', 'species'], common: 'common' },
  });
  async function* bioclip(): AsyncGenerator<Sample> {
    for (let i = 0; i < ds.length; i++) {
      const s = await withImage(ds.get(i));
      yield { index: i, id: s.id, image: s.image, texts: s.texts };
    }
  }
  const shards = await writeWebDataset(bioclip(), join(dir, 'shards'), { maxPerShard: 10 });
  expect(shards).toHaveLength(4);
  const spec = `webdataset:${join(dir, 'shards')}/shard-{000000..000003}.tar?buffer=6&decode=0`;
  const args = [
    'clip-taxonomy',
    '--data',
    spec,
    '--quiet',
    ...['--recipeConfig.size=16', '--recipeConfig.batchSize=8', '--recipeConfig.embedDim=8'],
    ...['--recipeConfig.imageChannels=[4,4,4]', '--recipeConfig.textWidth=8', '--recipeConfig.textDepth=1'],
    ...['--recipeConfig.textHeads=1', '--train.steps=14', '--train.warmup=2', '--train.checkpointEvery=3'],
    '--train.workers=1',
  ];
  const b = join(dir, 'killed');
  const child = spawn(
    process.execPath,
    [
      '--import',
      join(ROOT, 'node_modules/tsx/dist/esm/index.mjs'),
      join(ROOT, 'src/cli/main.ts'),
      'train',
      ...args,
      '--out',
      b,
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_c, signal) => res(signal)));
  const t0 = Date.now();
  while (lines(b).length < 7 && child.exitCode === null && Date.now() - t0 < 90_000)
    await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  const seen = lines(b).length;
  expect(seen).toBeGreaterThanOrEqual(7);
  expect(seen).toBeLessThan(14);
  expect(readdirSync(join(b, 'checkpoints')).some((x) => x.endsWith('.safetensors'))).toBe(true);

  expect(await trainCli(['--out', b, '--resume', '--quiet'])).toBe(0);
  const a = join(dir, 'straight');
  expect(await trainCli([...args, '--out', a])).toBe(0);
  expect(curve(a)).toHaveLength(14);
  expect(curve(b)).toEqual(curve(a));
  // 40 samples, batch 8: 5 batches per epoch, so the 14 steps cross two epoch boundaries
  expect(lines(a).map((l) => JSON.parse(l).epoch as number)).toEqual([
    0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2,
  ]);
}, 180_000);

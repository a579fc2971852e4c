import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, test, vi } from 'vitest';
import { writeModelDir } from '../../train/model-dir.ts';
import { clipTaxonomy } from '../../train/recipes/clip-taxonomy.ts';
import { Rng } from '../../util/rng.ts';
import { parseShard, shardRange } from '../../embed/shard.ts';
import { readLanceEmbeddings } from '../../io/lance.ts';
import { readNpy } from '../../io/npy.ts';
import { run as embedCli } from './embed.ts';

const ROOT = resolve(__dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'clade-embed-shard-'));
const model = join(dir, 'model');
const DATA = 'synthetic-taxonomy:test:1'; // 60 images
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());
beforeAll(() => {
  const recipe = clipTaxonomy({
    seed: 4,
    perSpecies: 1,
    batchSize: 8,
    imageChannels: [8, 16, 16],
    textWidth: 16,
    textDepth: 1,
    embedDim: 16,
    contextLength: 12,
  });
  writeModelDir(model, recipe, recipe.init(new Rng(1)), 8);
});

function capture() {
  const out: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...s) => void out.push(s.join(' ')));
  vi.spyOn(console, 'log').mockImplementation((...s) => void out.push(s.join(' ')));
  return out;
}

const bytes = (f: string) => readFileSync(f);
const progressOf = (part: string) => {
  const f = join(part, 'progress.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { done: number; complete: boolean }) : null;
};

test('shards are contiguous, ordered and cover every row once', () => {
  expect(parseShard('3/8')).toEqual({ index: 3, count: 8 });
  for (const bad of ['8/8', '-1/4', '1', 'a/b', '1/0']) expect(() => parseShard(bad)).toThrow(/--shard/);
  for (const [total, n] of [
    [60, 3],
    [7, 3],
    [2, 5],
    [1_000_003, 8],
  ]) {
    let next = 0;
    for (let i = 0; i < n; i++) {
      const r = shardRange(total, { index: i, count: n });
      expect(r.start).toBe(next);
      expect(r.end - r.start).toBeGreaterThanOrEqual(Math.floor(total / n));
      expect(r.end - r.start).toBeLessThanOrEqual(Math.ceil(total / n));
      next = r.end;
    }
    expect(next).toBe(total);
  }
});

test('3 shards + merge write the single job’s bytes (.npy + sidecar, .parquet) and the same Lance rows', async () => {
  const log = capture();
  const single = join(dir, 'single');
  for (const ext of ['npy', 'parquet', 'lance'])
    expect(await embedCli([model, DATA, '--out', `${single}.${ext}`, '--quiet'])).toBe(0);
  const sh = join(dir, 'sh.npy');
  for (const i of [2, 0, 1])
    // any order, as a scheduler runs them
    expect(await embedCli([model, DATA, '--out', sh, '--shard', `${i}/3`, '--chunk', '8', '--quiet'])).toBe(
      0,
    );
  expect(log.join('\n')).toContain(`sh.npy.parts${'/'}shard-00001-of-00003`);
  expect(await embedCli(['merge', sh])).toBe(0);
  expect(log.join('\n')).toContain('merged 3 shards: 60 × 16');
  expect(bytes(sh).equals(bytes(`${single}.npy`))).toBe(true);
  expect(bytes(join(dir, 'sh.json')).equals(bytes(`${single}.json`))).toBe(true);
  // the same parts into other formats
  expect(await embedCli(['merge', join(dir, 'sh.parquet'), `${sh}.parts`])).toBe(0);
  expect(bytes(join(dir, 'sh.parquet')).equals(bytes(`${single}.parquet`))).toBe(true);
  expect(await embedCli(['merge', join(dir, 'sh.lance'), `${sh}.parts`])).toBe(0);
  const [a, b] = [
    await readLanceEmbeddings(`${single}.lance`),
    await readLanceEmbeddings(join(dir, 'sh.lance')),
  ];
  expect(b.ids).toEqual(a.ids);
  expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
  expect(b.labelNames).toEqual(a.labelNames);
  expect(b.embeddings.data).toEqual(a.embeddings.data);
  expect(a.embeddings.data).toEqual(readNpy(`${single}.npy`).data);
  expect(a.ids[7]).toBe('synthetic-taxonomy/test/7');
});

test('merge names what is missing, unfinished or from another job', async () => {
  const log = capture();
  const out = join(dir, 'partial.npy');
  expect(await embedCli([model, DATA, '--out', out, '--shard', '0/3', '--quiet'])).toBe(0);
  expect(await embedCli(['merge', out])).toBe(1);
  expect(log.pop()).toMatch(/missing shards 1, 2 of 3/);
  expect(await embedCli([model, DATA, '--out', out, '--shard', '0/3', '--limit', '30', '--quiet'])).toBe(1);
  expect(log.pop()).toMatch(/different job \(end, total differ\)/);
  expect(await embedCli([model, DATA, '--out', out, '--shard', '3/3'])).toBe(2);
  expect(log.pop()).toMatch(/--shard: expected i\/n/);
  expect(existsSync(out)).toBe(false);
});

test('a shard job killed with SIGKILL resumes after its last committed chunk; the merge is byte-identical', async () => {
  const log = capture();
  const single = join(dir, 'ref.npy');
  expect(await embedCli([model, DATA, '--out', single, '--quiet'])).toBe(0);
  const out = join(dir, 'killed.npy');
  const part = join(`${out}.parts`, 'shard-00001-of-00003');
  // the CLI as its own process; every commit pauses (CLADE_FAULT_PAUSE_MS) so the kill lands mid-shard
  const child = spawn(
    process.execPath,
    [
      '--import',
      join(ROOT, 'node_modules/tsx/dist/esm/index.mjs'),
      join(ROOT, 'src/cli/main.ts'),
      'embed',
      model,
      DATA,
      '--out',
      out,
      '--shard',
      '1/3',
      '--chunk',
      '4',
      '--quiet',
    ],
    { stdio: 'ignore', env: { ...process.env, CLADE_FAULT_PAUSE_MS: '150' } },
  );
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_c, signal) => res(signal)));
  const t0 = Date.now();
  while ((progressOf(part)?.done ?? 0) < 8 && child.exitCode === null && Date.now() - t0 < 90_000)
    await new Promise((r) => setTimeout(r, 10));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  const seen = progressOf(part)!;
  expect(seen.done).toBeGreaterThanOrEqual(8);
  expect(seen.complete).toBe(false); // killed mid-shard (20 rows)

  for (const i of [0, 2])
    expect(await embedCli([model, DATA, '--out', out, '--shard', `${i}/3`, '--quiet'])).toBe(0);
  expect(await embedCli(['merge', out])).toBe(1);
  expect(log.pop()).toMatch(/unfinished: shard 1 \(\d+ of 20 rows\)/);
  expect(await embedCli([model, DATA, '--out', out, '--shard', '1/3', '--chunk', '4', '--quiet'])).toBe(0);
  expect(log.join('\n')).toMatch(/resuming shard 1\/3 at row \d+ of 20/);
  expect(await embedCli(['merge', out])).toBe(0);
  expect(bytes(out).equals(bytes(single))).toBe(true);
  // a finished shard run again changes nothing
  expect(await embedCli([model, DATA, '--out', out, '--shard', '1/3', '--chunk', '4', '--quiet'])).toBe(0);
  expect(progressOf(part)).toMatchObject({ done: 20, complete: true });
}, 120_000);

test('more shards than rows: empty shards complete, and the merge equals the single job', async () => {
  capture();
  const single = join(dir, 'two.parquet');
  expect(await embedCli([model, DATA, '--out', single, '--limit', '2', '--quiet'])).toBe(0);
  const out = join(dir, 'two-sharded.parquet');
  for (const i of [0, 1, 2])
    expect(await embedCli([model, DATA, '--out', out, '--limit', '2', '--shard', `${i}/3`, '--quiet'])).toBe(
      0,
    );
  expect(progressOf(join(`${out}.parts`, 'shard-00000-of-00003'))).toMatchObject({ done: 0, complete: true });
  expect(await embedCli(['merge', out])).toBe(0);
  expect(bytes(out).equals(bytes(single))).toBe(true);
});

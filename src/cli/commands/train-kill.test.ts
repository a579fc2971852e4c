import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, expect, test, vi } from 'vitest';
import { run as trainCli } from './train.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-train-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const ROOT = resolve(__dirname, '../../..');
const cfgFile = join(dir, 'tiny.json');
writeFileSync(
  cfgFile,
  JSON.stringify({
    recipe: 'clip-taxonomy',
    recipeConfig: {
      perSpecies: 2, // 120 images: 5 batches per epoch, so checkpoints fall mid-epoch
      batchSize: 24,
      imageChannels: [8, 16, 16],
      textWidth: 16,
      textDepth: 1,
      embedDim: 16,
      contextLength: 12,
    },
    train: { steps: 20, lr: 0.002, warmup: 4, seed: 5, checkpointEvery: 3, keepLast: 2, workers: 0 },
  }),
);

const lines = (run: string) => {
  const f = join(run, 'metrics.jsonl');
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean) : [];
};
const curve = (run: string) => lines(run).map((l) => JSON.parse(l).loss as number);

test('a `clade train` process killed with SIGKILL mid-epoch resumes to the uninterrupted loss curve', async () => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
  const b = join(dir, 'killed');
  // the CLI as its own process (not bin/clade.mjs, which would leave its child running when killed)
  const child = spawn(
    process.execPath,
    [
      '--import',
      join(ROOT, 'node_modules/tsx/dist/esm/index.mjs'),
      join(ROOT, 'src/cli/main.ts'),
      'train',
      cfgFile,
      '--out',
      b,
      '--quiet',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<NodeJS.Signals | null>((res) =>
    child.on('exit', (_code, signal) => res(signal)),
  );
  const t0 = Date.now();
  while (lines(b).length < 7 && child.exitCode === null && Date.now() - t0 < 90_000)
    await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  const seen = lines(b).length;
  expect(seen).toBeGreaterThanOrEqual(7);
  expect(seen).toBeLessThan(20); // killed mid-run
  expect(existsSync(join(b, 'model'))).toBe(false);
  expect(
    readdirSync(join(b, 'checkpoints')).filter((f) => f.endsWith('.safetensors')).length,
  ).toBeGreaterThan(0);

  expect(await trainCli(['--out', b, '--resume', '--quiet'])).toBe(0);
  const a = join(dir, 'straight');
  expect(await trainCli([cfgFile, '--out', a, '--quiet'])).toBe(0);
  expect(curve(b)).toHaveLength(20);
  expect(curve(b)).toEqual(curve(a));
  expect(existsSync(join(b, 'model', 'model.json'))).toBe(true);
});

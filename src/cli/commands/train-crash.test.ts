import { spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, test, vi } from 'vitest';
import { run as trainCli } from './train.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-train-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const cfgFile = join(dir, 'tiny.json');
writeFileSync(
  cfgFile,
  JSON.stringify({
    recipe: 'clip-taxonomy',
    recipeConfig: {
      perSpecies: 1,
      batchSize: 20,
      imageChannels: [8, 8, 8],
      textWidth: 8,
      textDepth: 1,
      embedDim: 8,
      contextLength: 12,
    },
    train: {
      steps: 6,
      lr: 0.002,
      warmup: 2,
      seed: 3,
      checkpointEvery: 2,
      keepLast: 2,
      workers: 0,
      exportBatch: 4,
    },
  }),
);

function capture() {
  const out: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...s) => void out.push(s.join(' ')));
  vi.spyOn(console, 'log').mockImplementation((...s) => void out.push(s.join(' ')));
  return out;
}
const steps = (run: string) =>
  readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).step as number);

test('a run directory locked by a live `clade train` is refused, naming the process', async () => {
  const log = capture();
  const run = join(dir, 'locked');
  const other = spawn('sleep', ['30']);
  try {
    expect(await trainCli([cfgFile, '--out', run, '--quiet', '--stop-after', '1'])).toBe(0); // creates it
    writeFileSync(
      join(run, '.lock'),
      JSON.stringify({ pid: other.pid, host: hostname(), started: 'now', command: 'clade train' }),
    );
    expect(await trainCli(['--out', run, '--resume', '--quiet'])).toBe(1);
    expect(log.join('\n')).toContain(`${run}: in use by clade train (pid ${other.pid}`);
  } finally {
    other.kill();
  }
  // the holder is gone: its lock is stale and is taken over
  await new Promise((r) => other.once('exit', r));
  expect(await trainCli(['--out', run, '--resume', '--quiet'])).toBe(0);
  expect(log.join('\n')).toContain(`taking over a stale lock: pid ${other.pid}`);
  expect(existsSync(join(run, '.lock'))).toBe(false);
});

test('--resume after a crash: a torn metrics line is dropped with a warning, stale temp files removed', async () => {
  const log = capture();
  const run = join(dir, 'crashed');
  expect(await trainCli([cfgFile, '--out', run, '--quiet', '--stop-after', '3'])).toBe(0);
  // what a kill -9 mid-write leaves: half a metrics line and a checkpoint temp file
  appendFileSync(join(run, 'metrics.jsonl'), '{"step":4,"loss":2.1');
  const tmp = `.step-00000004.safetensors.999999999.1700000000000.tmp`;
  writeFileSync(join(run, 'checkpoints', tmp), 'partial');
  expect(await trainCli(['--out', run, '--resume', '--quiet'])).toBe(0);
  const said = log.join('\n');
  expect(said).toContain('line 4 was cut short by the interrupted run: dropped');
  expect(said).toContain(`removed ${join(run, 'checkpoints', tmp)}`);
  expect(said).toContain('trained clip-taxonomy for 6 steps (steps 3–6 in this run, resumed from 2)');
  // resuming a finished run says so, not "0.00 steps/s"
  expect(await trainCli(['--out', run, '--resume', '--quiet'])).toBe(0);
  expect(log).toContain(
    `${run} had already finished its 6 steps: nothing to train; model directory rewritten`,
  );
  expect(steps(run)).toEqual([1, 2, 3, 4, 5, 6]); // resumed from step 2: 3 re-run, torn 4 replaced
  expect(readdirSync(join(run, 'checkpoints')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
});

test('--resume --train.steps=N extends a finished run, saying the schedule now spans N; fewer steps are refused', async () => {
  const log = capture();
  const run = join(dir, 'extended');
  expect(await trainCli([cfgFile, '--out', run, '--quiet'])).toBe(0);
  expect(await trainCli(['--out', run, '--resume', '--quiet', '--train.steps=8'])).toBe(0);
  expect(log.join('\n')).toContain(
    'extending the run from 6 to 8 steps: the learning-rate schedule (warm-up + cosine) is now defined over 8 steps',
  );
  expect(steps(run)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  expect(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')).train.steps).toBe(8);
  expect(await trainCli(['--out', run, '--resume', '--quiet', '--train.steps=5'])).toBe(1);
  expect(log.join('\n')).toContain('--train.steps=5: the run already has a checkpoint at step 8');
});

// Fault injection: processes killed with SIGKILL at random instants, 20 times each. `clade export` and
// `clade embed` write into the same output alternately from two different models: after every kill the output is
// one whole version (a model directory of model A or of model B; an .npy and its sidecar both A's or both B's, as
// a reader finds them). `clade train` is killed and resumed in one run directory: after every kill its files are
// whole and resumable, and the finished run equals one nobody interrupted. After the next complete run no
// temporary file is left. Commits pause between their steps (CLADE_FAULT_PAUSE_MS) so that kills land inside
// them; the counts are printed. In the data suite because it spawns ~60 processes (≈3–4 min); train-kill.test.ts
// (npm test) has the mid-epoch case.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, test, vi } from 'vitest';
import { run as exportCli } from '../src/cli/commands/export.ts';
import { run as embedCli } from '../src/cli/commands/embed.ts';
import { run as trainCli } from '../src/cli/commands/train.ts';
import { recoverDir } from '../src/io/commit-dir.ts';
import { readSafetensors } from '../src/io/safetensors.ts';
import { loadEmbeddings } from '../src/io/load-embeddings.ts';
import { Rng } from '../src/util/rng.ts';

const ROOT = join(__dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'clade-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const KILLS = 20;
// commits pause 250 ms between their steps, so random kills often land inside them (src/util/fault-pause.ts)
const env = { ...process.env, CLADE_FAULT_PAUSE_MS: '250' };
const cfg = (seed: number) =>
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
    train: { steps: 2, lr: 0.002, warmup: 1, seed, checkpointEvery: 2, workers: 0, exportBatch: 20 },
  });
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const modelHash = (m: string) =>
  ['weights.safetensors', 'image.onnx', 'text.onnx']
    .map((f) => (existsSync(join(m, f)) ? sha(join(m, f)) : '-'))
    .join(' ');

const runs = [join(dir, 'run-a'), join(dir, 'run-b')];
const refs: string[] = [];
const refEmb: Float32Array[] = [];

beforeAll(async () => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
  for (const [i, run] of runs.entries()) {
    writeFileSync(join(dir, `cfg-${i}.json`), cfg(i + 1));
    expect(await trainCli([join(dir, `cfg-${i}.json`), '--out', run, '--quiet'])).toBe(0);
    expect(await exportCli([run, '--out', join(dir, `ref-${i}`)])).toBe(0);
    refs.push(modelHash(join(dir, `ref-${i}`)));
    const e = join(dir, `ref-${i}.npy`);
    expect(await embedCli([join(dir, `ref-${i}`), 'synthetic-taxonomy:test:1', '--out', e, '--quiet'])).toBe(
      0,
    );
    refEmb.push((await loadEmbeddings(e)).embeddings.data);
  }
  expect(refs[0]).not.toBe(refs[1]);
});

/** How long an uninterrupted `clade <args>` takes here and now (the machine may be loaded), in ms. */
async function timeRun(args: string[]): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin/clade.mjs'), ...args], {
    cwd: dir,
    stdio: 'ignore',
    env,
  });
  expect(await new Promise((r) => child.once('exit', r))).toBe(0);
  return performance.now() - t0;
}

/** Spawn `clade <args>` and SIGKILL it at a random instant in [minMs, maxMs) after its start. */
async function killAtRandom(args: string[], rng: Rng, maxMs: number, minMs = 0): Promise<void> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin/clade.mjs'), ...args], {
    cwd: dir,
    stdio: 'ignore',
    env,
  });
  const exited = new Promise((r) => child.once('exit', r));
  // bin/clade.mjs spawns the real process: kill that one (the launcher then reports it)
  let pid = 0;
  for (let i = 0; i < 200 && !pid; i++) {
    await new Promise((r) => setTimeout(r, 10));
    try {
      pid =
        Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]) ||
        0;
    } catch {
      break;
    }
  }
  await new Promise((r) =>
    setTimeout(r, Math.max(0, minMs + rng.int(Math.round(maxMs - minMs)) - (performance.now() - t0))),
  );
  try {
    if (pid) process.kill(pid, 'SIGKILL');
  } catch {
    /* already finished */
  }
  await exited;
}

test(`clade export killed ${KILLS} times: the model directory is always all of A or all of B`, async () => {
  const out = join(dir, 'model');
  const rng = new Rng(3);
  const T = await timeRun(['export', runs[1], '--out', 'model']); // also the version the first kill replaces
  let torn = 0;
  for (let i = 0; i < KILLS; i++) {
    await killAtRandom(['export', runs[i % 2], '--out', 'model'], rng, 1.1 * T);
    if (readdirSync(dir).some((f) => f.startsWith('.model.'))) torn++;
    recoverDir(out); // what the next export does first
    expect(existsSync(out), `kill ${i}: no model directory`).toBe(true);
    expect(refs, `kill ${i}: mixed model directory`).toContain(modelHash(out));
  }
  expect(await exportCli([runs[0], '--out', out])).toBe(0);
  expect(readdirSync(dir).filter((f) => f.startsWith('.model'))).toEqual([]);
  console.info(`export: ${torn} of ${KILLS} kills landed mid-write (T = ${(T / 1000).toFixed(1)} s)`);
});

test(`clade embed killed ${KILLS} times: the .npy and its sidecar are A's or B's, never a mix`, async () => {
  const rng = new Rng(4);
  const T = await timeRun(['embed', 'ref-1', 'synthetic-taxonomy:test:1', '--out', 'e.npy', '--quiet']);
  let tornWrites = 0; // kills that landed mid-write (a temporary file left behind)
  for (let i = 0; i < KILLS; i++) {
    await killAtRandom(
      ['embed', `ref-${i % 2}`, 'synthetic-taxonomy:test:1', '--out', 'e.npy', '--quiet'],
      rng,
      1.1 * T,
    );
    if (readdirSync(dir).some((f) => f.startsWith('.e.'))) tornWrites++;
    const got = (await loadEmbeddings(join(dir, 'e.npy'))).embeddings.data; // repairs an interrupted pair
    const side = JSON.parse(readFileSync(join(dir, 'e.json'), 'utf8')) as { model: string };
    const k = Number(side.model.slice(-1));
    expect(Array.from(got), `kill ${i}: array and sidecar of different writes`).toEqual(
      Array.from(refEmb[k]),
    );
  }
  expect(
    await embedCli([
      '' + join(dir, 'ref-0'),
      'synthetic-taxonomy:test:1',
      '--out',
      join(dir, 'e.npy'),
      '--quiet',
    ]),
  ).toBe(0);
  expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  console.info(
    `embed: ${tornWrites} of ${KILLS} kills left a temporary file (T = ${(T / 1000).toFixed(1)} s)`,
  );
});

test(`clade train killed ${KILLS} times: every kill leaves a resumable run, and the end equals an unbroken run`, async () => {
  const rng = new Rng(5);
  const cfgFile = join(dir, 'train-kills.json');
  writeFileSync(
    cfgFile,
    JSON.stringify({
      ...JSON.parse(cfg(7)),
      train: { steps: 60, lr: 0.002, warmup: 2, seed: 7, checkpointEvery: 3, keepLast: 2, workers: 0 },
    }),
  );
  const T = await timeRun(['train', cfgFile, '--out', 'train-ref', '--quiet']);
  const run = join(dir, 'train-kills');
  const args = () =>
    existsSync(join(run, 'config.json'))
      ? ['train', '--out', 'train-kills', '--resume', '--quiet']
      : ['train', cfgFile, '--out', 'train-kills', '--quiet'];
  let midTraining = 0; // kills that landed between the first and the last training step
  for (let i = 0; i < KILLS; i++) {
    await killAtRandom(args(), rng, 1.1 * T, 0.3 * T);
    if (!existsSync(join(run, 'config.json'))) continue; // killed before the run directory was written
    JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    // every metrics line but a torn last one is whole; every checkpoint a reader lists is complete
    const metrics = existsSync(join(run, 'metrics.jsonl'))
      ? readFileSync(join(run, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean)
      : [];
    for (const l of metrics.slice(0, -1)) JSON.parse(l);
    const ckpts = existsSync(join(run, 'checkpoints'))
      ? readdirSync(join(run, 'checkpoints')).filter((f) => /^step-\d+\.safetensors$/.test(f))
      : [];
    for (const c of ckpts) expect(readSafetensors(join(run, 'checkpoints', c)).size, c).toBeGreaterThan(0);
    if (metrics.length > 0 && !existsSync(join(run, 'model'))) midTraining++;
    // the model directory, once present, is whole
    recoverDir(join(run, 'model'));
    if (existsSync(join(run, 'model')))
      expect(modelHash(join(run, 'model'))).toBe(modelHash(join(dir, 'train-ref/model')));
  }
  // finish the run: the same weights as the run nobody interrupted, and no temporary file anywhere
  if (!existsSync(join(run, 'config.json'))) await timeRun(args());
  else await timeRun(['train', '--out', 'train-kills', '--resume', '--quiet']);
  expect(modelHash(join(run, 'model'))).toBe(modelHash(join(dir, 'train-ref/model')));
  const temps = [run, join(run, 'checkpoints')].flatMap((d) =>
    readdirSync(d).filter((f) => f.endsWith('.tmp')),
  );
  expect(temps).toEqual([]);
  console.info(
    `train: ${midTraining} of ${KILLS} kills landed mid-training (T = ${(T / 1000).toFixed(1)} s)`,
  );
});

/**
 * `npm run bench:engine [-- --json out.json] [--cases mlp,cnn] [--seconds 3] [--rounds 3]`
 * Training steps/s (AdamW, 2 threads) for clade and, when python3 has torch, PyTorch on the same models in the
 * same run, interleaved round by round; medians reported. Also the graph's achieved GFLOP/s against a plain
 * 2048³ matmul measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compile, defineGraph, graphFlops, input } from '../../src/engine/node.ts';
import { TrainStep } from '../../src/train/step.ts';
import { Rng } from '../../src/util/rng.ts';
import { CASES } from './cases.ts';
import { findTorchPython, median } from '../common.ts';

const args = process.argv.slice(2);
const opt = (k: string, d: string) => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 ? args[i + 1] : d;
};
const seconds = Number(opt('seconds', '3'));
const rounds = Number(opt('rounds', '3'));
const only = opt('cases', CASES.map((c) => c.name).join(',')).split(',');
const jsonOut = opt('json', '');
const python = findTorchPython();
const torchScript = fileURLToPath(new URL('./torch_bench.py', import.meta.url));

async function matmulGflops(): Promise<number> {
  const n = 2048;
  const a = input('a', [n, n]);
  const b = input('b', [n, n]);
  const run = await compile(defineGraph([a, b], { c: a.matmul(b) }));
  const r = new Rng(1);
  const feeds = { a: r.normalArray(n * n), b: r.normalArray(n * n) };
  const out = { c: new Float32Array(n * n) };
  await run.run(feeds, out);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await run.run(feeds, out);
    times.push(performance.now() - t0);
  }
  return (2 * n ** 3) / (median(times) / 1000) / 1e9;
}

function torchRate(name: string): number | null {
  if (!python) return null;
  const r = spawnSync(python, [torchScript, name, String(seconds)], {
    env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: '2' },
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    console.error(`pytorch ${name} failed: ${r.stderr}`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!).steps_per_s;
}

async function main() {
  console.log(
    `bench:engine — ${rounds} interleaved rounds of ~${seconds}s per engine; PyTorch: ${python ?? 'not found'}`,
  );
  const peak = await matmulGflops();
  console.log(`plain matmul 2048³ on ORT: ${peak.toFixed(1)} GFLOP/s`);
  const rows = [];
  for (const c of CASES.filter((c) => only.includes(c.name))) {
    const spec = c.spec();
    const t0 = performance.now();
    const step = await TrainStep.create(spec);
    const buildMs = performance.now() - t0;
    const batch = c.batch();
    const flops = graphFlops(step.graph);
    for (let i = 0; i < 3; i++) await step.run(batch, 1e-4);
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      let n = 0;
      const s0 = performance.now();
      while (performance.now() - s0 < seconds * 1000) {
        await step.run(batch, 1e-4);
        n++;
      }
      ours.push(n / ((performance.now() - s0) / 1000));
      const t = torchRate(c.name);
      if (t !== null) theirs.push(t);
    }
    const clade = median(ours);
    const pytorch = theirs.length ? median(theirs) : null;
    const gflops = (clade * flops) / 1e9;
    const row = {
      case: c.name,
      clade,
      pytorch,
      ratio: pytorch ? clade / pytorch : null,
      unit: 'steps/s',
      gflops,
      flopsPerStep: flops,
      buildMs,
    };
    rows.push(row);
    console.log(
      `${c.title}\n  clade ${clade.toFixed(2)} steps/s   pytorch ${pytorch?.toFixed(2) ?? 'n/a'} steps/s   ratio ${row.ratio?.toFixed(2) ?? 'n/a'}x   ` +
        `${gflops.toFixed(1)} GFLOP/s (${((100 * gflops) / peak).toFixed(0)}% of matmul)   graph build ${buildMs.toFixed(0)} ms`,
    );
  }
  // One entry per case ({case, clade, pytorch, ratio, unit}), plus the plain-matmul reference of the same run.
  const entries = [
    { case: 'matmul-2048', clade: peak, pytorch: null, ratio: null, unit: 'GFLOP/s' },
    ...rows,
  ];
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(entries, null, 2) + '\n');
}

await main();

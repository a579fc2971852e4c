/**
 * `npm run bench:engine [-- --json out.json] [--cases mlp,cnn] [--seconds 3] [--rounds 3]`
 * Training steps/s (AdamW, 2 threads) for clade and, when python3 has torch, PyTorch on the same models in the
 * same run, interleaved round by round; medians reported. Also the graph's achieved GFLOP/s against a plain
 * 2048³ matmul measured in the same run. The PyTorch side is checked and tuned first (bench/reference.ts): its
 * sgemm beside ORT's, each case timed under every thread configuration (`--tune-seconds`, default 1) and run under
 * the fastest; ratios against a reference whose sgemm is below 70 % of ORT's are marked invalid.
 */
// First: forks the spawn helper while this process is small (bench/spawn.ts).
import { spawnJson } from '../spawn.ts';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { graphFlops } from '../../src/engine/node.ts';
import { TrainStep } from '../../src/train/step.ts';
import { CASES } from './cases.ts';
import { findTorchPython, median } from '../common.ts';
import { baselineJson, pickFastest, tuneBaseline, type RefConfig } from '../reference.ts';

const args = process.argv.slice(2);
const opt = (k: string, d: string) => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 ? args[i + 1] : d;
};
const seconds = Number(opt('seconds', '3'));
const rounds = Number(opt('rounds', '3'));
const only = opt('cases', CASES.map((c) => c.name).join(',')).split(',');
const jsonOut = opt('json', '');
const tuneSeconds = Number(opt('tune-seconds', '1'));
const python = findTorchPython();
const torchScript = fileURLToPath(new URL('./torch_bench.py', import.meta.url));

/** PyTorch steps/s for one case under one reference configuration (`secs` of timed steps). */
async function torchRate(name: string, cfg: RefConfig, secs = seconds): Promise<number | null> {
  if (!python) return null;
  const j = await spawnJson<{ steps_per_s: number }>(
    `pytorch ${name} (${cfg.name})`,
    python,
    [torchScript, name, String(secs)],
    cfg.env,
  );
  return j?.steps_per_s ?? null;
}

async function main() {
  console.log(
    `bench:engine — ${rounds} interleaved rounds of ~${seconds}s per engine; PyTorch: ${python ?? 'not found'}`,
  );
  const baseline = await tuneBaseline(python);
  const peak = baseline.ort.sgemm.ort!;
  const rows = [];
  const picks = new Map<string, Awaited<ReturnType<typeof pickFastest>>>();
  for (const c of CASES.filter((c) => only.includes(c.name))) {
    const spec = c.spec();
    const t0 = performance.now();
    const step = await TrainStep.create(spec);
    const buildMs = performance.now() - t0;
    const batch = c.batch();
    // An unrolled step (train.unroll) takes `unroll` optimizer steps per call.
    const unroll = step.unroll;
    const run = () =>
      unroll > 1 ? step.runSteps(Array(unroll).fill(batch), Array(unroll).fill(1e-4)) : step.run(batch, 1e-4);
    const flops = graphFlops(step.graph) / unroll;
    const torchCase = c.torch ?? c.name;
    for (let i = 0; i < 3; i++) await run();
    // The reference's fastest thread configuration for this case (short runs), then interleaved rounds under it.
    // Cases sharing a PyTorch model (mlp, mlp-unroll4) share its configuration pick, so their rows differ only in
    // clade's step.
    let pick = picks.get(torchCase) ?? null;
    if (python && !pick) {
      pick = await pickFastest(baseline.configs, (cfg) => torchRate(torchCase, cfg, tuneSeconds));
      picks.set(torchCase, pick);
    }
    if (pick)
      console.log(
        `  PyTorch configurations (steps/s): ${Object.entries(pick.rates)
          .map(([k, v]) => `${k} ${v?.toFixed(2) ?? 'failed'}`)
          .join(', ')}; using ${pick.config.name}`,
      );
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      // The PyTorch runs are spawned by bench/spawn.ts's helper, so this process never forks (a fork made the next
      // steps re-fault clade's whole arena: 264k pages, 2.6 s for the ViT on the AMD EPYC VM). One untimed step
      // re-warms the caches the PyTorch run used.
      await run();
      let n = 0;
      const s0 = performance.now();
      while (performance.now() - s0 < seconds * 1000) {
        await run();
        n += unroll;
      }
      ours.push(n / ((performance.now() - s0) / 1000));
      const t = pick ? await torchRate(torchCase, pick.config) : null;
      if (t !== null) theirs.push(t);
    }
    const clade = median(ours);
    const pytorch = theirs.length ? median(theirs) : null;
    const gflops = (clade * flops) / 1e9;
    const row = {
      case: c.name,
      unroll,
      clade,
      pytorch,
      ratio: pytorch ? clade / pytorch : null,
      valid: baseline.valid && pytorch !== null,
      pytorchConfig: pick?.config ?? null,
      pytorchConfigRates: pick?.rates ?? null,
      // every round's rate, for the spread behind the medians
      cladeRounds: ours,
      pytorchRounds: theirs,
      unit: 'steps/s',
      gflops,
      flopsPerStep: flops,
      buildMs,
    };
    rows.push(row);
    console.log(
      `${c.title}\n  clade ${clade.toFixed(2)} steps/s   pytorch ${pytorch?.toFixed(2) ?? 'n/a'} steps/s   ratio ${row.ratio?.toFixed(2) ?? 'n/a'}x   ` +
        `${row.valid ? '' : '(INVALID baseline)   '}${gflops.toFixed(1)} GFLOP/s (${((100 * gflops) / peak).toFixed(0)}% of matmul)   graph build ${buildMs.toFixed(0)} ms`,
    );
  }
  // The run's baseline check (machine identity, ORT and reference sgemm / elementwise, chosen configuration,
  // validity) and one row per case ({case, clade, pytorch, ratio, valid, pytorchConfig, unit, ...}).
  if (jsonOut)
    writeFileSync(
      jsonOut,
      JSON.stringify(
        { date: new Date().toISOString(), baseline: baselineJson(baseline), cases: rows },
        null,
        2,
      ) + '\n',
    );
}

await main();

// Probe: per-step times of a bench case before and after this process spawns a child (a PyTorch run, then `true`),
// and after the same spawns through bench/spawn.ts's helper. `node bin/run-ts.mjs bench/engine/fork-probe.ts <case> [steps]`
import { spawnSync } from 'node:child_process';
import { spawnClean } from '../spawn.ts';
import { TrainStep } from '../../src/train/step.ts';
import { CASES } from './cases.ts';
import { findTorchPython } from '../common.ts';
const [name = 'text', nSteps = '8'] = process.argv.slice(2);
const c = CASES.find((x) => x.name === name)!;
const step = await TrainStep.create(c.spec());
const batch = c.batch();
const times = async (label: string) => {
  const t: number[] = [];
  for (let i = 0; i < Number(nSteps); i++) {
    const s0 = performance.now();
    await step.run(batch, 1e-4);
    t.push(performance.now() - s0);
  }
  const ru = process.resourceUsage();
  console.log(label.padEnd(28), t.map((x) => x.toFixed(0)).join(' '), ` minflt ${ru.minorPageFault}`);
};
const py = findTorchPython()!;
const torchScript = new URL('./torch_bench.py', import.meta.url).pathname;
await times('warm');
await times('steady');
await spawnClean(py, [torchScript, name, '3']);
await times('after spawnClean(PyTorch)');
await spawnClean('true', []);
await times('after spawnClean(`true`)');
spawnSync(py, [torchScript, name, '3'], { encoding: 'utf8', env: { ...process.env } });
await times('after a PyTorch run');
spawnSync('true', [], {});
await times('after spawning `true`');
await times('steady');

/**
 * Per-op and per-node kernel times of one bench case's training step from ORT's profiler:
 * `node bin/run-ts.mjs bench/engine/profile.ts <case> [steps=10]` (`TOP=40` nodes listed). `<case>` is a
 * bench:engine case (`cnn`) or a bench:train recipe case prefixed `train:` (`train:simclr-cifar`). Each node's
 * figure is its median over the steps, so a step slowed by other processes on the machine does not skew it.
 */
import * as ort from 'onnxruntime-node';
import { sessionOptions } from '../../src/engine/runtime/ort.ts';
import { caseStep } from './case-step.ts';
import { median } from '../common.ts';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
const name = process.argv[2];
const { step, batch } = await caseStep(name);
process.chdir(process.env.TMPDIR ?? '/tmp');
const prefix = `p_${name}_${process.pid}`;
const sess = await ort.InferenceSession.create(step.compiled.modelBytes, {
  ...sessionOptions(),
  enableProfiling: true,
  profileFilePrefix: prefix,
});
const N = Number(process.argv[3] ?? 10);
const wall: number[] = [];
// Time the trainer's own call path (preallocated state outputs, fed scalars) on the profiling session.
(step.compiled as unknown as { session: ort.InferenceSession }).session = sess;
for (let i = 0; i < N; i++) {
  const t0 = performance.now();
  await step.run(batch as never, 1e-4);
  wall.push(performance.now() - t0);
}
sess.endProfiling();
const file = readdirSync('.').filter((f) => f.startsWith(prefix))[0];
const all = JSON.parse(readFileSync(file, 'utf8'));
const ev = all.filter(
  (e: { cat: string; name: string }) => e.cat === 'Node' && e.name.endsWith('_kernel_time'),
);
const runs = all
  .filter((e: { name: string }) => e.name === 'model_run')
  .map((e: { dur: number }) => e.dur / 1000);
rmSync(file);
const dims = (l: Record<string, number[]>[] = []) => l.map((o) => `[${Object.values(o)[0]}]`).join(' ');
const nodes = new Map<string, { us: number[]; op: string; shapes: string }>();
for (const e of ev) {
  const k = e.name.replace('_kernel_time', '');
  let r = nodes.get(k);
  if (!r) {
    r = {
      us: [],
      op: e.args.op_name,
      shapes: `${dims(e.args.input_type_shape)} -> ${dims(e.args.output_type_shape)}`,
    };
    nodes.set(k, r);
  }
  r.us.push(e.dur);
}
const ms = (us: number[]) => median(us) / 1000;
const byOp = new Map<string, number>();
for (const r of nodes.values()) byOp.set(r.op, (byOp.get(r.op) ?? 0) + ms(r.us));
const tot = [...byOp.values()].reduce((a, b) => a + b, 0);
console.log(
  `${name}: kernel ms/step (sum of per-node medians over ${N} steps) ${tot.toFixed(1)}; ORT model_run ` +
    `${median(runs).toFixed(1)} ms; TrainStep.run ${median(wall).toFixed(1)} ms (${nodes.size} nodes)`,
);
for (const [k, v] of [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 15))
  console.log(k.padEnd(20), v.toFixed(2), 'ms');
const top = Number(process.env.TOP ?? 12);
for (const [k, v] of [...nodes].sort((a, b) => ms(b[1].us) - ms(a[1].us)).slice(0, top))
  console.log('  ', k.padEnd(30), v.op.padEnd(14), ms(v.us).toFixed(2).padStart(6), 'ms ', v.shapes);
// GREP=<text>: every node whose shapes contain the text, in execution order (e.g. GREP=256,32,32,32).
if (process.env.GREP)
  for (const [k, v] of nodes)
    if (v.shapes.includes(process.env.GREP))
      console.log('  >', k.padEnd(30), v.op.padEnd(14), ms(v.us).toFixed(2).padStart(6), 'ms ', v.shapes);

import * as ort from 'onnxruntime-node';
import { toOnnx } from '../../src/engine/index.ts';
import { TrainStep } from '../../src/train/step.ts';
import { CASES } from './cases.ts';
import { readFileSync, readdirSync } from 'node:fs';
const name = process.argv[2];
const c = CASES.find((x) => x.name === name)!;
const step = await TrainStep.create(c.spec());
const bytes = toOnnx(step.graph);
process.chdir(process.env.TMPDIR ?? '/tmp');
const sess = await ort.InferenceSession.create(bytes, {
  intraOpNumThreads: 2,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  enableProfiling: true,
  profileFilePrefix: 'p_' + name,
});
const batch = c.batch();
const feeds: any = {};
for (const t of step.graph.inputs) {
  const d =
    (batch as any)[t.name!] ??
    (t.dtype === 'int64'
      ? new BigInt64Array(t.size)
      : new Float32Array(t.size).fill(t.name!.startsWith('opt.') && t.shape.length === 0 ? 0.5 : 0.01));
  feeds[t.name!] = new ort.Tensor(t.dtype as any, d, t.shape as number[]);
}
const N = Number(process.argv[3] ?? 10);
for (let i = 0; i < N; i++) await sess.run(feeds);
sess.endProfiling();
const file = readdirSync('.')
  .filter((f) => f.startsWith('p_' + name))
  .sort()
  .pop()!;
const ev = JSON.parse(readFileSync(file, 'utf8')).filter(
  (e: any) => e.cat === 'Node' && e.name.endsWith('_kernel_time'),
);
const by = new Map<string, number>();
for (const e of ev) {
  const k = e.args.op_name;
  by.set(k, (by.get(k) ?? 0) + e.dur);
}
const tot = [...by.values()].reduce((a, b) => a + b, 0);
console.log('total kernel ms/step', (tot / N / 1000).toFixed(1));
for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 15))
  console.log(k.padEnd(20), (v / N / 1000).toFixed(2), 'ms');
const byNode = new Map<string, number>();
for (const e of ev) {
  const k = e.name.replace('_kernel_time', '');
  byNode.set(k, (byNode.get(k) ?? 0) + e.dur);
}
for (const [k, v] of [...byNode].sort((a, b) => b[1] - a[1]).slice(0, 12))
  console.log('  ', k.padEnd(30), (v / N / 1000).toFixed(2), 'ms');

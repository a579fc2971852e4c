// Probe: cost of graph outputs in onnxruntime-node — y = x·1 over 4 M floats, ORT-allocated vs preallocated
// output, wall time from JS against ORT's own model_run time. `node bin/run-ts.mjs bench/engine/out-probe.ts`
import * as ort from 'onnxruntime-node';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { defineGraph } from '../../src/engine/graph.ts';
import { input } from '../../src/engine/tensor.ts';
import { toOnnx } from '../../src/engine/onnx/export.ts';
import { sessionOptions } from '../../src/engine/runtime/ort.ts';
import { median } from '../common.ts';
const n = 4 << 20;
const x = input('x', [n]);
process.chdir('/tmp');
const sess = await ort.InferenceSession.create(toOnnx(defineGraph([x], { y: x.mul(1.0001) })), {
  ...sessionOptions(),
  enableProfiling: true,
  profileFilePrefix: `op_${process.pid}`,
});
const feeds = { x: new ort.Tensor('float32', new Float32Array(n).fill(1), [n]) };
const into = { y: new ort.Tensor('float32', new Float32Array(n), [n]) };
const wall: Record<string, number[]> = { alloc: [], prealloc: [] };
for (let r = 0; r < 30; r++)
  for (const k of ['alloc', 'prealloc']) {
    const t0 = performance.now();
    const out = await sess.run(feeds, k === 'alloc' ? ['y'] : into);
    wall[k].push(performance.now() - t0);
    if (k === 'prealloc' && out.y.data !== into.y.data && r === 0)
      console.log('prealloc: returned tensor has its own data (copied)', out.y.data === into.y.data);
    if (k === 'prealloc' && r === 0) console.log('into buffer written:', (into.y.data as Float32Array)[0]);
  }
sess.endProfiling();
const f = readdirSync('.').filter((f) => f.startsWith(`op_${process.pid}`))[0];
const runs = JSON.parse(readFileSync(f, 'utf8'))
  .filter((e: any) => e.name === 'model_run')
  .map((e: any) => e.dur / 1000);
rmSync(f);
const alloc = runs.filter((_: number, i: number) => i % 2 === 0);
const pre = runs.filter((_: number, i: number) => i % 2 === 1);
console.log(`alloc: wall ${median(wall.alloc).toFixed(2)} ms, model_run ${median(alloc).toFixed(2)} ms`);
console.log(`prealloc: wall ${median(wall.prealloc).toFixed(2)} ms, model_run ${median(pre).toFixed(2)} ms`);

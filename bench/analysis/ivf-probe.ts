/**
 * Probe: where the engine IVF's search time goes — one chunk of `Q` queries against a block of `N` candidates
 * (`q·xᵀ + pad`, TopK `k`), per node from ORT's profiler (medians). `node bin/run-ts.mjs bench/analysis/ivf-probe.ts
 * [Q=256] [N=16384] [k=285] [D=256]`.
 */
import * as ort from 'onnxruntime-node';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { defineGraph, input } from '../../src/engine/node.ts';
import { toOnnx } from '../../src/engine/onnx/export.ts';
import { sessionOptions } from '../../src/engine/runtime/ort.ts';
import { median } from '../common.ts';
const [Q, N, k, D] = [256, 16384, 285, 256].map((v, i) => Number(process.argv[2 + i] ?? v));
const q = input('q', [Q, D]);
const x = input('x', [N, D]);
const pad = input('pad', [1, N]);
const { values, indices } = q.matmul(x, { transB: true }).add(pad).topK(k);
const bytes = toOnnx(defineGraph([q, x, pad], { values, indices }));
process.chdir(process.env.TMPDIR ?? '/tmp');
const prefix = `ivfprobe_${process.pid}`;
const sess = await ort.InferenceSession.create(bytes, {
  ...sessionOptions(),
  enableProfiling: true,
  profileFilePrefix: prefix,
});
const feeds = {
  q: new ort.Tensor(
    'float32',
    Float32Array.from({ length: Q * D }, () => Math.random() - 0.5),
    [Q, D],
  ),
  x: new ort.Tensor(
    'float32',
    Float32Array.from({ length: N * D }, () => Math.random() - 0.5),
    [N, D],
  ),
  pad: new ort.Tensor('float32', new Float32Array(N), [1, N]),
};
const wall: number[] = [];
for (let i = 0; i < 20; i++) {
  const t0 = performance.now();
  await sess.run(feeds);
  wall.push(performance.now() - t0);
}
sess.endProfiling();
const file = readdirSync('.').filter((f) => f.startsWith(prefix))[0];
const ev = JSON.parse(readFileSync(file, 'utf8')).filter(
  (e: { cat: string; name: string }) => e.cat === 'Node' && e.name.endsWith('_kernel_time'),
);
rmSync(file);
const by = new Map<string, number[]>();
for (const e of ev) by.set(e.args.op_name, [...(by.get(e.args.op_name) ?? []), e.dur / 1000]);
console.log(
  `Q ${Q} N ${N} k ${k} D ${D}: run ${median(wall).toFixed(2)} ms; GEMM ${((2 * Q * N * D) / 1e6).toFixed(0)} MFLOP`,
);
for (const [op, ms] of by) console.log(`  ${op.padEnd(10)} ${median(ms).toFixed(2)} ms`);

// Probe: depth-to-space (phase interleave) of [128, 32·4, 16, 16] → [128, 32, 32, 32] three ways, kernel ms
// from ORT's profiler (medians of interleaved runs): 6-D Transpose, DepthToSpace (CRD), and a permutation GEMM
// for the last axis + a block-preserving Transpose.
import * as ort from 'onnxruntime-node';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { defineGraph } from '../../src/engine/graph.ts';
import { input, constant } from '../../src/engine/tensor.ts';
import { toOnnx } from '../../src/engine/onnx/export.ts';
import { onnx } from '../../src/engine/onnx/proto.ts';
import { median } from '../common.ts';
const [N, C, J, L] = [
  128,
  Number(process.argv[2] ?? 32),
  Number(process.argv[3] ?? 16),
  Number(process.argv[3] ?? 16),
];
const x = input('x', [N, C * 4, J, L]);
const tr = x
  .reshape([N, C, 2, 2, J, L])
  .transpose([0, 1, 4, 2, 5, 3])
  .reshape([N, C, 2 * J, 2 * L]);
const perm = new Float32Array(2 * L * 2 * L);
for (let rw = 0; rw < 2; rw++) for (let l = 0; l < L; l++) perm[(rw * L + l) * 2 * L + l * 2 + rw] = 1;
const mm = x.reshape([N * C * 2 * J, 2, L]); // rows (n,c,rh,j) of [rw, l] — but rw is the channel phase, so move it first
void mm;
// channel layout is (c, rh, rw): [N, C, rh, rw, J, L] → [N, C, rh, J, rw, L] (block of L preserved) → perm GEMM.
const a = x
  .reshape([N, C, 2, 2, J, L])
  .transpose([0, 1, 2, 4, 3, 5])
  .reshape([N * C * 2 * J, 2 * L]);
const b = a
  .matmul(constant(perm, [2 * L, 2 * L]))
  .reshape([N, C, 2, J, 2 * L])
  .transpose([0, 1, 3, 2, 4])
  .reshape([N, C, 2 * J, 2 * L]);
const models: Record<string, Uint8Array> = {
  transpose6d: toOnnx(defineGraph([x], { y: tr.sum().reshape([1]) })),
  permGemm: toOnnx(defineGraph([x], { y: b.sum().reshape([1]) })),
};
// DepthToSpace model by hand.
const m = onnx.ModelProto.decode(models.transpose6d);
m.graph!.node = [
  {
    opType: 'DepthToSpace',
    input: ['x'],
    output: ['d'],
    attribute: [
      { name: 'blocksize', i: 2, type: 2 },
      { name: 'mode', s: new TextEncoder().encode('CRD'), type: 3 },
    ],
  },
  { opType: 'ReduceSum', input: ['d'], output: ['s'], attribute: [{ name: 'keepdims', i: 0, type: 2 }] },
  { opType: 'Reshape', input: ['s', 'shp'], output: ['y'] },
];
m.graph!.initializer = [{ name: 'shp', dataType: 7, dims: [1], int64Data: [1] as never }];
models.depthToSpace = onnx.ModelProto.encode(m).finish();
process.chdir('/tmp');
const sess: Record<string, ort.InferenceSession> = {};
for (const [k, bytes] of Object.entries(models))
  sess[k] = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 2,
    interOpNumThreads: 1,
    enableProfiling: true,
    profileFilePrefix: `d2s_${k}_${process.pid}`,
  });
const feeds = {
  x: new ort.Tensor(
    'float32',
    Float32Array.from({ length: N * C * 4 * J * L }, (_, i) => i % 7),
    [N, C * 4, J, L],
  ),
};
const ref = (await sess.transpose6d.run(feeds)).y.data[0];
for (let r = 0; r < 15; r++)
  for (const k of Object.keys(sess)) {
    const y = (await sess[k].run(feeds)).y.data[0];
    if (r === 0) console.log(k, 'sum', y, 'ref', ref);
  }
for (const k of Object.keys(sess)) {
  sess[k].endProfiling();
  const f = readdirSync('.').filter((f) => f.startsWith(`d2s_${k}_${process.pid}`))[0];
  const ev = JSON.parse(readFileSync(f, 'utf8')).filter(
    (e: any) =>
      e.cat === 'Node' && e.name.endsWith('_kernel_time') && !/ReduceSum|Reshape/.test(e.args.op_name),
  );
  rmSync(f);
  const per = new Map<string, number[]>();
  for (const e of ev) per.set(e.name, [...(per.get(e.name) ?? []), e.dur / 1000]);
  const tot = [...per.values()].reduce((s, v) => s + median(v), 0);
  console.log(
    k.padEnd(14),
    tot.toFixed(2),
    'ms',
    [...per].map(([n, v]) => `${n.replace('_kernel_time', '')} ${median(v).toFixed(2)}`).join(', '),
  );
}

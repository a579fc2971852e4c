/**
 * Probe: kernel time of the weight gradient's one-hot depthwise im2col conv against the batch size — does it scale
 * linearly? `node bin/run-ts.mjs bench/engine/im2col-probe.ts C H stride N1,N2,...` (default 32 32 2 64,128,256).
 */
import * as ort from 'onnxruntime-node';
import { defineGraph } from '../../src/engine/graph.ts';
import { compile } from '../../src/engine/runtime/ort.ts';
import { constant, input, prim } from '../../src/engine/tensor.ts';
import { kernelTimes } from './kernel-times.ts';

const [C, H, S] = (process.argv.length > 4 ? process.argv.slice(2, 5) : ['32', '32', '2']).map(Number);
const Ns = (process.argv[5] ?? '64,128,256').split(',').map(Number);
for (const N of Ns) {
  const x = input('x', [N, C, H, H]);
  const onehot = new Float32Array(C * 81);
  for (let ch = 0; ch < C; ch++) for (let t = 0; t < 9; t++) onehot[(ch * 9 + t) * 9 + t] = 1;
  const cols = prim('conv2d', [x, constant(onehot, [C * 9, 1, 3, 3])], {
    strides: [S, S],
    pads: [1, 1, 1, 1],
    group: C,
  });
  const g = await compile(defineGraph([x], { s: cols.sum().reshape([1]) }));
  const f = { x: new ort.Tensor('float32', new Float32Array(N * C * H * H).fill(0.5), [N, C, H, H]) };
  const k = (await kernelTimes(g.modelBytes, f, 20)).find((r) => r.op === 'Conv')!.ms;
  const mb = (N * C * 9 * (H / S) * (H / S) * 4) / 1e6;
  console.log(`N ${N}: conv ${k.toFixed(2)} ms (${(k / N).toFixed(4)} ms/image, output ${mb.toFixed(1)} MB)`);
}

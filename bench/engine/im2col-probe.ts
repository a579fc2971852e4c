/**
 * Probe: kernel time of the weight gradient's one-hot depthwise im2col conv against the batch size — does it scale
 * linearly? `node bin/run-ts.mjs bench/engine/im2col-probe.ts C H stride N1,N2,...` (default 32 32 2 64,128,256).
 */
import * as ort from 'onnxruntime-node';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { defineGraph } from '../../src/engine/graph.ts';
import { compile, sessionOptions } from '../../src/engine/runtime/ort.ts';
import { constant, input, prim } from '../../src/engine/tensor.ts';
import { median } from '../common.ts';

const [C, H, S] = (process.argv.length > 4 ? process.argv.slice(2, 5) : ['32', '32', '2']).map(Number);
const Ns = (process.argv[5] ?? '64,128,256').split(',').map(Number);
process.chdir('/tmp');
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
  const prefix = `im2col_${N}_${process.pid}`;
  const s = await ort.InferenceSession.create(g.modelBytes, {
    ...sessionOptions(),
    enableProfiling: true,
    profileFilePrefix: prefix,
  });
  const f = { x: new ort.Tensor('float32', new Float32Array(N * C * H * H).fill(0.5), [N, C, H, H]) };
  const wall: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await s.run(f);
    wall.push(performance.now() - t0);
  }
  s.endProfiling();
  const file = readdirSync('.').filter((n) => n.startsWith(prefix))[0];
  const ev = JSON.parse(readFileSync(file, 'utf8')).filter(
    (e: { cat: string; name: string; args: { op_name: string } }) =>
      e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.args.op_name === 'Conv',
  );
  rmSync(file);
  const k = median(ev.map((e: { dur: number }) => e.dur / 1000));
  const mb = (N * C * 9 * (H / S) * (H / S) * 4) / 1e6;
  console.log(
    `N ${N}: conv ${k.toFixed(2)} ms (${(k / N).toFixed(4)} ms/image, output ${mb.toFixed(1)} MB), run ${median(wall).toFixed(2)} ms`,
  );
}

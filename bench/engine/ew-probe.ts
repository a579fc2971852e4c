// Probe: in-graph elementwise pass cost (a chain of 20 Add/Mul over N floats), ms per pass.
// `MODE=vec|const|feed node bin/run-ts.mjs bench/engine/ew-probe.ts [N]` (second operand a tensor, a constant
// scalar, or a fed scalar).
import * as ort from 'onnxruntime-node';
import { defineGraph } from '../../src/engine/graph.ts';
import { input } from '../../src/engine/tensor.ts';
import { toOnnx } from '../../src/engine/index.ts';
const N = Number(process.argv[2] ?? 1 << 20);
const K = 20;
const x = input('x', [N]);
const s = input('s', [N]);
let y = x;
const MODE = process.env.MODE ?? 'vec';
const sc = input('sc', []);
for (let i = 0; i < K; i++)
  y =
    MODE === 'vec'
      ? i % 2
        ? y.mul(s)
        : y.add(s)
      : MODE === 'const'
        ? i % 2
          ? y.mul(0.999)
          : y.add(0.001)
        : i % 2
          ? y.mul(sc)
          : y.add(sc);
const g = defineGraph(MODE === 'feed' ? [x, s, sc] : [x, s], { y: y.sum().reshape([1]) });
const extra = JSON.parse(process.env.SO ?? '{}');
const sess = await ort.InferenceSession.create(toOnnx(g), {
  intraOpNumThreads: 2,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  ...extra,
});
const feeds = {
  x: new ort.Tensor('float32', new Float32Array(N).fill(1), [N]),
  s: new ort.Tensor('float32', new Float32Array(N).fill(1.0001), [N]),
  ...(MODE === 'feed' ? { sc: new ort.Tensor('float32', new Float32Array([0.999]), []) } : {}),
};
for (let i = 0; i < 5; i++) await sess.run(feeds);
const ts: number[] = [];
for (let r = 0; r < 9; r++) {
  const t0 = performance.now();
  for (let i = 0; i < 10; i++) await sess.run(feeds);
  ts.push((performance.now() - t0) / 10 / K);
}
ts.sort((a, b) => a - b);
console.log(
  `N=${N} ms/pass median ${ts[4].toFixed(3)} min ${ts[0].toFixed(3)}  GB/s ${((12 * N) / ts[4] / 1e6).toFixed(1)}`,
);

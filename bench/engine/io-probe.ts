// Probe: where onnxruntime-node spends time outside ORT's model_run — a 16 MB input with a scalar output vs a
// scalar input with a 16 MB preallocated output. `node bin/run-ts.mjs bench/engine/io-probe.ts`
import * as ort from 'onnxruntime-node';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { defineGraph } from '../../src/engine/graph.ts';
import { input } from '../../src/engine/tensor.ts';
import { toOnnx } from '../../src/engine/onnx/export.ts';
import { sessionOptions } from '../../src/engine/runtime/ort.ts';
import { median } from '../common.ts';
const n = 4 << 20;
process.chdir('/tmp');
const x = input('x', [n]);
const s = input('s', [1]);
const cases = {
  bigIn: {
    g: defineGraph([x], { y: x.sum().reshape([1]) }),
    feeds: { x: new ort.Tensor('float32', new Float32Array(n).fill(1), [n]) },
    into: {} as Record<string, ort.Tensor>,
  },
  bigOut: {
    g: defineGraph([s], { y: s.expand([n]).mul(1.5) }),
    feeds: { s: new ort.Tensor('float32', new Float32Array([2]), [1]) },
    into: { y: new ort.Tensor('float32', new Float32Array(n), [n]) },
  },
};
for (const [k, c] of Object.entries(cases)) {
  const sess = await ort.InferenceSession.create(toOnnx(c.g), {
    ...sessionOptions(),
    enableProfiling: true,
    profileFilePrefix: `io_${k}_${process.pid}`,
  });
  const wall: number[] = [];
  for (let r = 0; r < 30; r++) {
    const t0 = performance.now();
    await sess.run(c.feeds, Object.keys(c.into).length ? c.into : ['y']);
    wall.push(performance.now() - t0);
  }
  sess.endProfiling();
  const f = readdirSync('.').filter((f) => f.startsWith(`io_${k}_${process.pid}`))[0];
  const runs = JSON.parse(readFileSync(f, 'utf8'))
    .filter((e: any) => e.name === 'model_run')
    .map((e: any) => e.dur / 1000);
  rmSync(f);
  console.log(`${k}: wall ${median(wall).toFixed(2)} ms, model_run ${median(runs).toFixed(2)} ms`);
}

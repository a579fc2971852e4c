// Probe: what a preallocated graph output costs beyond its kernel — y = x·c over N floats fetched into a caller
// buffer, vs the same Mul followed by a ReduceSum whose scalar is the only output.
// `node bin/run-ts.mjs bench/engine/out-cost-probe.ts [N ...]`
import * as ort from 'onnxruntime-node';
import { defineGraph } from '../../src/engine/graph.ts';
import { input } from '../../src/engine/tensor.ts';
import { toOnnx } from '../../src/engine/onnx/export.ts';
import { sessionOptions } from '../../src/engine/runtime/ort.ts';
import { median } from '../common.ts';
for (const n of (process.argv.length > 2 ? process.argv.slice(2) : ['1048576', '4194304']).map(Number)) {
  const x = input('x', [n]);
  const y = x.mul(1.0001);
  const full = await ort.InferenceSession.create(toOnnx(defineGraph([x], { y })), sessionOptions());
  const red = await ort.InferenceSession.create(
    toOnnx(defineGraph([x], { s: y.sum().reshape([1]) })),
    sessionOptions(),
  );
  const sum = await ort.InferenceSession.create(
    toOnnx(defineGraph([x], { s: x.sum().reshape([1]) })),
    sessionOptions(),
  );
  const feeds = { x: new ort.Tensor('float32', new Float32Array(n).fill(1), [n]) };
  const into = [0, 1].map(() => ({ y: new ort.Tensor('float32', new Float32Array(n), [n]) }));
  const w: Record<string, number[]> = { out: [], reduce: [], sumOnly: [] };
  for (let r = 0; r < 60; r++) {
    let t0 = performance.now();
    await full.run(feeds, into[r & 1]);
    w.out.push(performance.now() - t0);
    t0 = performance.now();
    await red.run(feeds);
    w.reduce.push(performance.now() - t0);
    t0 = performance.now();
    await sum.run(feeds);
    w.sumOnly.push(performance.now() - t0);
  }
  console.log(
    `N=${n}: Mul→output ${median(w.out).toFixed(3)} ms; Mul→ReduceSum ${median(w.reduce).toFixed(3)}; ReduceSum alone ${median(w.sumOnly).toFixed(3)}`,
  );
}

// Probe: GFLOP/s of one ORT Gemm/MatMul node per (op, M, K, N, transA, transB), interleaved, medians (wall time
// of session.run, output [M, N] included). `node bin/run-ts.mjs bench/engine/gemm-probe.ts '[["MatMul",256,1024,1024,0,0]]'`
// (`SO='{...}'` adds session options; `KERNEL=1` prints ORT's kernel-time medians instead, output copy excluded).
import * as ort from 'onnxruntime-node';
import { OnnxBuilderProbe } from './onnx-probe.ts';
import { kernelTimes } from './kernel-times.ts';
const shapes: [string, number, number, number, number, number][] = JSON.parse(process.argv[2]);
const sessions: {
  name: string;
  sess: ort.InferenceSession;
  bytes: Uint8Array;
  feeds: any;
  flops: number;
  ts: number[];
}[] = [];
for (const [op, M, K, N, ta, tb] of shapes) {
  const aShape = ta ? [K, M] : [M, K];
  const bShape = tb ? [N, K] : [K, N];
  const bytes = OnnxBuilderProbe(op, aShape, bShape, [M, N], { transA: ta, transB: tb });
  const sess = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 2,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    ...JSON.parse(process.env.SO ?? '{}'),
  });
  const feeds = {
    a: new ort.Tensor('float32', new Float32Array(M * K).fill(0.5), aShape),
    b: new ort.Tensor('float32', new Float32Array(K * N).fill(0.5), bShape),
  };
  sessions.push({
    name: `${op} ${M}x${K}x${N} tA${ta} tB${tb}`,
    sess,
    bytes,
    feeds,
    flops: 2 * M * K * N,
    ts: [],
  });
}
const out = (s: any) => ({
  y: new ort.Tensor(
    'float32',
    new Float32Array(
      (s.flops / 2 / (s.feeds.a.dims[0] * s.feeds.a.dims[1])) * 0 + s.sess.outputNames.length * 0 + 1,
    ).fill(0),
    [1],
  ),
});
if (process.env.KERNEL) {
  for (let r = 0; r < 2; r++)
    for (const s of sessions) {
      const ms = (await kernelTimes(s.bytes, s.feeds, 20))[0].ms;
      console.log(
        s.name.padEnd(34),
        `kernel ${ms.toFixed(2)} ms  ${(s.flops / ms / 1e6).toFixed(0)} GFLOP/s`,
      );
    }
  process.exit(0);
}
for (let r = 0; r < 15; r++)
  for (const s of sessions) {
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) await s.sess.run(s.feeds);
    s.ts.push((performance.now() - t0) / 5);
  }
for (const s of sessions) {
  s.ts.sort((a, b) => a - b);
  const m = s.ts[7];
  console.log(
    s.name.padEnd(34),
    `${m.toFixed(2)} ms  ${(s.flops / m / 1e6).toFixed(0)} GFLOP/s (best ${(s.flops / s.ts[0] / 1e6).toFixed(0)})`,
  );
}

/**
 * ReLU backward formulations on a [128, 32, 32, 32] tensor, kernel ms from ORT's profiler (medians of
 * interleaved runs): `node bin/run-ts.mjs bench/engine/relu-grad-probe.ts`.
 */
import * as ort from 'onnxruntime-node';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { defineGraph } from '../../src/engine/graph.ts';
import { input, scalar, prim, type Tensor } from '../../src/engine/tensor.ts';
import { toOnnx } from '../../src/engine/onnx/export.ts';
import { median } from '../common.ts';
const shape = [128, 32, 32, 32];
const y = input('y', shape);
const g = input('g', shape);
const variants: Record<string, (y: Tensor, g: Tensor) => Tensor> = {
  castMul: (y, g) => g.mul(y.gt(0).cast('float32')),
  where: (y, g) => prim('where', [y.gt(0), g, scalar(0)], {}),
  ceilMin: (y, g) => g.mul(prim('ceil' as never, [y.minimum(1)], {} as never)),
};
process.chdir('/tmp');
const sess: Record<string, ort.InferenceSession> = {};
for (const [k, f] of Object.entries(variants)) {
  try {
    const bytes = toOnnx(defineGraph([y, g], { out: f(y, g).sum().reshape([1]) }));
    sess[k] = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: 2,
      interOpNumThreads: 1,
      enableProfiling: true,
      profileFilePrefix: `rg_${k}_${process.pid}`,
    });
  } catch (e) {
    console.log(k, 'unavailable', (e as Error).message.slice(0, 80));
  }
}
const rnd = () =>
  new ort.Tensor(
    'float32',
    Float32Array.from({ length: 128 * 32 * 32 * 32 }, () => Math.random() - 0.5),
    shape,
  );
const feeds = { y: rnd(), g: rnd() };
const sums: Record<string, number> = {};
for (let r = 0; r < 15; r++)
  for (const k of Object.keys(sess)) sums[k] = (await sess[k].run(feeds)).out.data[0] as number;
console.log('sums (must agree)', sums);
for (const k of Object.keys(sess)) {
  sess[k].endProfiling();
  const f = readdirSync('.').filter((f) => f.startsWith(`rg_${k}_${process.pid}`))[0];
  const ev = JSON.parse(readFileSync(f, 'utf8')).filter(
    (e: any) =>
      e.cat === 'Node' && e.name.endsWith('_kernel_time') && !/ReduceSum|Reshape/.test(e.args.op_name),
  );
  rmSync(f);
  const per = new Map<string, number[]>();
  for (const e of ev) per.set(e.name, [...(per.get(e.name) ?? []), e.dur / 1000]);
  const tot = [...per.values()].reduce((s, v) => s + median(v), 0);
  console.log(
    k.padEnd(10),
    tot.toFixed(2),
    'ms',
    [...per].map(([n, v]) => `${n.replace('_kernel_time', '')} ${median(v).toFixed(2)}`).join(', '),
  );
}

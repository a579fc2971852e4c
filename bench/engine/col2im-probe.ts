// Probe: conv input gradient (stride 2, 3×3, pad 1) as ConvTranspose vs batched MatMul (Wᵀ @ gy) + Col2Im,
// kernel ms from ORT's profiler, medians of interleaved runs. `... col2im-probe.ts <Ci> <Co> <H>`
import * as ort from 'onnxruntime-node';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { reducedModel, valueInfo } from './onnx-probe.ts';
import { median } from '../common.ts';
const [ci, co, h] = process.argv.slice(2).map(Number);
const N = 128,
  ho = h / 2;
const vi = valueInfo;
const ints = (name: string, v: number[]) => ({ name, ints: v, type: 7 });
const i64 = (name: string, v: number[]) => ({ name, dataType: 7, dims: [v.length], int64Data: v as never });
const model = (node: any[], input: any[], inits: any[] = []) => reducedModel(node, input, inits, 'dx');
const models: Record<string, Uint8Array> = {
  convT: model(
    [
      {
        opType: 'ConvTranspose',
        input: ['g', 'w'],
        output: ['dx'],
        attribute: [
          ints('strides', [2, 2]),
          ints('pads', [1, 1, 1, 1]),
          ints('kernel_shape', [3, 3]),
          ints('output_padding', [1, 1]),
        ],
      },
    ],
    [vi('g', [N, co, ho, ho]), vi('w', [co, ci, 3, 3])],
  ),
  gemmCol2Im: model(
    [
      { opType: 'Reshape', input: ['w', 'ws'], output: ['w2'] },
      { opType: 'Reshape', input: ['g', 'gs'], output: ['g2'] },
      {
        opType: 'Gemm',
        input: ['w2', 'eye'],
        output: ['w2t'],
        attribute: [{ name: 'transA', i: 1, type: 2 }],
      },
      { opType: 'MatMul', input: ['w2t', 'g2'], output: ['cols'] },
      {
        opType: 'Col2Im',
        input: ['cols', 'img', 'blk'],
        output: ['dx'],
        attribute: [ints('strides', [2, 2]), ints('pads', [1, 1, 0, 0])],
      },
    ],
    [vi('g', [N, co, ho, ho]), vi('w', [co, ci, 3, 3]), vi('eye', [co, co])],
    [i64('ws', [co, ci * 9]), i64('gs', [N, co, ho * ho]), i64('img', [h, h]), i64('blk', [3, 3])],
  ),
};
process.chdir('/tmp');
const sess: Record<string, ort.InferenceSession> = {};
for (const [k, b] of Object.entries(models))
  sess[k] = await ort.InferenceSession.create(b, {
    intraOpNumThreads: 2,
    interOpNumThreads: 1,
    enableProfiling: true,
    profileFilePrefix: `c2i_${k}_${process.pid}`,
  });
const t = (s: number[]) =>
  new ort.Tensor(
    'float32',
    Float32Array.from({ length: s.reduce((a, b) => a * b) }, () => Math.random()),
    s,
  );
const eye = new Float32Array(co * co);
for (let i = 0; i < co; i++) eye[i * co + i] = 1;
const feeds = { g: t([N, co, ho, ho]), w: t([co, ci, 3, 3]) };
const res: Record<string, number> = {};
for (let r = 0; r < 12; r++)
  for (const k of Object.keys(sess))
    res[k] = (
      await sess[k].run(k === 'convT' ? feeds : { ...feeds, eye: new ort.Tensor('float32', eye, [co, co]) })
    ).s.data[0] as number;
console.log('sums', res);
for (const k of Object.keys(sess)) {
  sess[k].endProfiling();
  const f = readdirSync('.').filter((f) => f.startsWith(`c2i_${k}_${process.pid}`))[0];
  const ev = JSON.parse(readFileSync(f, 'utf8')).filter(
    (e: any) =>
      e.cat === 'Node' && e.name.endsWith('_kernel_time') && !/ReduceSum|Reshape/.test(e.args.op_name),
  );
  rmSync(f);
  const per = new Map<string, number[]>();
  for (const e of ev) per.set(e.args.op_name, [...(per.get(e.args.op_name) ?? []), e.dur / 1000]);
  console.log(k.padEnd(12), [...per].map(([n, v]) => `${n} ${median(v).toFixed(2)}`).join(', '));
}

import { describe, expect, test } from 'vitest';
import { defineGraph } from '../graph.ts';
import { input, prim } from '../tensor.ts';
import { onnx } from './builder.ts';
import { toOnnx } from './export.ts';

const opTypes = (outputs: Parameters<typeof defineGraph>[1], inputs: Parameters<typeof defineGraph>[0]) =>
  onnx.ModelProto.decode(toOnnx(defineGraph(inputs, outputs))).graph!.node!.map((n) => n.opType);

describe('emission choices', () => {
  test('a float sum over leading axes is a GEMV with a row of ones; other sums stay ReduceSum', () => {
    const x = input('x', [8, 4, 3]);
    expect(opTypes({ y: x.sum([0, 1]) }, [x])).toEqual(['Reshape', 'MatMul', 'Reshape']);
    expect(opTypes({ y: x.sum([0, 2]) }, [x])).toEqual(['ReduceSum']);
    expect(opTypes({ y: x.sum() }, [x])).toEqual(['ReduceSum']);
  });
});

describe('NCHWc convolutions', () => {
  const x = input('x', [1, 16, 4, 4]);
  const w = input('w', [32, 16, 3, 3]);
  const g = defineGraph([x, w], {
    y: prim('conv2d', [x, w], { strides: [1, 1], pads: [1, 1, 1, 1], group: 1 }),
  });
  const nodes = (bytes: Uint8Array) =>
    onnx.ModelProto.decode(bytes).graph!.node!.map((n) => `${n.domain}:${n.opType}`);

  test('with a block size, a dense conv is ReorderInput → nchwc Conv → ReorderOutput; never in standard ops', () => {
    expect(nodes(toOnnx(g, { nchwcBlock: 16 })).filter((n) => n.startsWith('com.'))).toEqual([
      'com.microsoft.nchwc:ReorderInput',
      'com.microsoft.nchwc:Conv',
      'com.microsoft.nchwc:ReorderOutput',
    ]);
    expect(nodes(toOnnx(g, { nchwcBlock: 16, ops: 'standard' }))).toEqual([':Conv']);
    expect(nodes(toOnnx(g))).toEqual([':Conv']);
  });

  test('conv → relu → conv: the relu runs inside the first kernel and the second conv reads its blocked output', async () => {
    const ort = await import('onnxruntime-node');
    const { nchwcBlockSize } = await import('../runtime/ort.ts');
    const block = await nchwcBlockSize();
    if (!block) return;
    const at = { strides: [1, 1], pads: [1, 1, 1, 1], group: 1 } as const;
    const w2 = input('w2', [16, 32, 3, 3]);
    const h = prim('conv2d', [x, w], at).relu();
    const chain = defineGraph([x, w, w2], { h, y: prim('conv2d', [h, w2], { ...at, strides: [2, 2] }) });
    const fused = toOnnx(chain, { nchwcBlock: block });
    const m = onnx.ModelProto.decode(fused).graph!.node!;
    expect(m.filter((n) => n.opType === 'ReorderInput')).toHaveLength(1);
    expect(m.filter((n) => n.opType === 'Relu')).toHaveLength(0);
    const convs = m.filter((n) => n.domain === 'com.microsoft.nchwc' && n.opType === 'Conv');
    expect(convs.map((n) => n.attribute!.some((a) => a.name === 'activation'))).toEqual([true, false]);
    const rng = (k: number, s: number[]) =>
      new ort.Tensor(
        'float32',
        Float32Array.from({ length: s.reduce((a, c) => a * c) }, (_, j) => Math.sin(j * k)),
        s,
      );
    const feeds = {
      x: rng(0.37, [1, 16, 4, 4]),
      w: rng(0.11, [32, 16, 3, 3]),
      w2: rng(0.23, [16, 32, 3, 3]),
    };
    const run = async (bytes: Uint8Array) => (await ort.InferenceSession.create(bytes)).run(feeds);
    const [a, r] = [await run(fused), await run(toOnnx(chain))];
    for (const k of ['h', 'y'])
      (a[k].data as Float32Array).forEach((v, j) => expect(v).toBeCloseTo((r[k].data as Float32Array)[j], 4));
  });

  test("the machine's block size (0 without AVX/AVX-512 kernels) is what compiled graphs use", async () => {
    const { nchwcBlockSize, compile } = await import('../runtime/ort.ts');
    const block = await nchwcBlockSize();
    if (process.env.CLADE_NCHWC === '0') return expect(block).toBe(0);
    expect([0, 8, 16]).toContain(block);
    if (block) expect(nodes((await compile(g)).modelBytes)).toContain('com.microsoft.nchwc:Conv');
  });
});

describe('standard-ops export', () => {
  test('no com.microsoft node or domain, and the same outputs as the contrib-op model in onnxruntime', async () => {
    const ort = await import('onnxruntime-node');
    const { gelu } = await import('../functional/index.ts');
    const q = input('q', [2, 3, 5, 4]);
    const k = input('k', [2, 3, 6, 4]);
    const g = defineGraph([q, k], { y: gelu(q.matmul(k, { transB: true })) });
    const std = toOnnx(g, { ops: 'standard' });
    const model = onnx.ModelProto.decode(std);
    expect(model.graph!.node!.filter((n) => n.domain)).toEqual([]);
    expect(model.opsetImport!.map((o) => o.domain)).toEqual(['']);
    const contrib = onnx.ModelProto.decode(toOnnx(g)).graph!.node!.map((n) => `${n.domain}:${n.opType}`);
    expect(contrib).toEqual(['com.microsoft:FusedMatMul', 'com.microsoft:Gelu']);
    const feeds = {
      q: new ort.Tensor(
        'float32',
        Float32Array.from({ length: 120 }, (_, i) => Math.sin(i)),
        [2, 3, 5, 4],
      ),
      k: new ort.Tensor(
        'float32',
        Float32Array.from({ length: 144 }, (_, i) => Math.cos(i * 0.7)),
        [2, 3, 6, 4],
      ),
    };
    const run = async (bytes: Uint8Array) =>
      (await (await ort.InferenceSession.create(bytes)).run(feeds)).y.data as Float32Array;
    const a = await run(std);
    const b = await run(toOnnx(g));
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 6);
  });
});

import type { OpAttrs, PrimOp } from '../ir/ops.ts';
import type { Emitter, OnnxBuilder } from './builder.ts';
import { ELEM_TYPE } from './proto.ts';

const simple =
  (opType: string) =>
  (b: OnnxBuilder, ins: readonly string[], out: string): void => {
    b.node(opType, ins, {}, { outputs: [out] });
  };

const reduce =
  (opType: string): Emitter<OpAttrs['reduceSum']> =>
  (b, [x], out, { axes, keepDims }) =>
    b.node(opType, [x, b.int64s(axes)], { keepdims: keepDims ? 1 : 0 }, { outputs: [out] });

/**
 * One ONNX emission per primitive. Choices follow the engine guide's measurements: plain MatMul when nothing
 * is transposed (ORT fuses MatMul+Add into Gemm), Gemm transpose flags for 2-D transposed products, and
 * com.microsoft FusedMatMul for batched transposed products (attention backward).
 */
export const EMIT: { [K in PrimOp]: Emitter<OpAttrs[K]> } = {
  add: simple('Add'),
  sub: simple('Sub'),
  mul: simple('Mul'),
  div: simple('Div'),
  max: simple('Max'),
  min: simple('Min'),
  greater: simple('Greater'),
  equal: simple('Equal'),
  neg: simple('Neg'),
  exp: simple('Exp'),
  log: simple('Log'),
  sqrt: simple('Sqrt'),
  tanh: simple('Tanh'),
  sigmoid: simple('Sigmoid'),
  softplus: simple('Softplus'),
  relu: simple('Relu'),
  erf: simple('Erf'),
  abs: simple('Abs'),
  // With the saved CDF (training graphs) the output is x·Φ; otherwise one com.microsoft Gelu node, or with
  // standard ops x·½(1 + erf(x/√2)) (ORT fuses that pattern back into Gelu when it loads the model).
  gelu: (b, ins, out) => {
    if (ins.length === 3) b.node('Mul', [ins[0], ins[2]], {}, { outputs: [out] });
    else if (b.standardOps) {
      const [x] = ins;
      const e = b.node('Erf', [b.node('Div', [x, b.scalar(Math.SQRT2)])[0]])[0];
      const half = b.node('Mul', [x, b.node('Add', [e, b.scalar(1)])[0]])[0];
      b.node('Mul', [half, b.scalar(0.5)], {}, { outputs: [out] });
    } else b.msNode('Gelu', ins, {}, [out]);
  },
  acos: simple('Acos'),
  cast: (b, ins, out, { to }) => b.node('Cast', ins, { to: ELEM_TYPE[to] }, { outputs: [out] }),
  stopGradient: (b, ins, out) => b.node('Identity', ins, {}, { outputs: [out] }),
  where: simple('Where'),
  matmul: (b, ins, out, { transA, transB }, n) => {
    if (!transA && !transB) b.node('MatMul', ins, {}, { outputs: [out] });
    else if (n.inputs[0].rank === 2 && n.inputs[1].rank === 2)
      b.node('Gemm', ins, { transA: +transA, transB: +transB }, { outputs: [out] });
    else if (b.standardOps) {
      // Transpose the last two axes of each transposed operand, then MatMul (ORT fuses this into FusedMatMul).
      const t = (x: string, rank: number) =>
        b.node('Transpose', [x], { perm: [...Array(rank - 2).keys(), rank - 1, rank - 2] })[0];
      const a = transA ? t(ins[0], n.inputs[0].rank) : ins[0];
      const c = transB ? t(ins[1], n.inputs[1].rank) : ins[1];
      b.node('MatMul', [a, c], {}, { outputs: [out] });
    } else b.msNode('FusedMatMul', ins, { transA: +transA, transB: +transB, alpha: { float: 1 } }, [out]);
  },
  conv2d: (b, ins, out, { strides, pads, group }, n) => {
    const kernel_shape = n.inputs[1].shape.slice(2);
    if (nchwcConv(b, ins, out, { strides, pads, group }, n)) return;
    b.node('Conv', ins, { strides, pads, group, kernel_shape }, { outputs: [out] });
  },
  convTranspose2d: (b, ins, out, { strides, pads, group, outputPadding }, n) =>
    b.node(
      'ConvTranspose',
      ins,
      { strides, pads, group, output_padding: outputPadding, kernel_shape: n.inputs[1].shape.slice(2) },
      { outputs: [out] },
    ),
  reduceSum: (b, ins, out, attrs, n) => {
    // A float sum over leading axes (bias, LayerNorm and conv weight gradients over the batch) runs as a
    // GEMV with a row of ones: ORT's ReduceSum over axis 0 takes 0.74 / 7.5 / 3.5 ms for [4096, 256] /
    // [4096, 1024] / [8320, 192] against 0.27 / 1.0 / 0.38 ms for ones @ x (bench/engine/reduce-sum.ts).
    // Sums over trailing axes stay ReduceSum, which beats a skinny x @ ones there.
    const x = n.inputs[0];
    const { axes } = attrs;
    const lead = axes.length;
    const rows = x.shape.slice(0, lead).reduce((a, c) => a * c, 1);
    const cols = x.shape.slice(lead).reduce((a, c) => a * c, 1);
    const leading = axes.every((a, i) => a === i);
    if (x.dtype === 'float32' && leading && lead < x.rank && rows > 1 && cols > 1) {
      const ones = b.once(`ones:${rows}`, () => [
        b.initializer(b.fresh('ones'), 'float32', [1, rows], new Float32Array(rows).fill(1)),
      ])[0];
      const flat = b.node('Reshape', [ins[0], b.int64s([rows, cols])])[0];
      const summed = b.node('MatMul', [ones, flat])[0];
      b.node('Reshape', [summed, b.int64s(n.shape)], {}, { outputs: [out] });
      return;
    }
    reduce('ReduceSum')(b, ins, out, attrs, n);
  },
  reduceMax: reduce('ReduceMax'),
  layerNorm: (b, ins, out, { eps, part }) => {
    // One LayerNormalization node serves all three parts; the first part emitted names its output directly.
    const slot = { y: 0, mean: 1, invStd: 2 }[part];
    const key = `layernorm:${ins.join(',')}:${eps}`;
    const made = b.peek(key);
    if (made) return made[slot];
    const outs = [b.fresh(), b.fresh(), b.fresh()];
    outs[slot] = out;
    b.once(key, () =>
      b.node('LayerNormalization', ins, { axis: -1, epsilon: { float: eps } }, { outputs: outs }),
    );
  },
  batchNorm: (b, ins, out, { eps, part }, n) => {
    // One BatchNormalization node in training mode serves all three parts. With momentum 0 its "running"
    // outputs are the batch mean and biased variance, so the running-stat inputs are constants.
    const slot = { y: 0, mean: 1, var: 2 }[part];
    const key = `batchnorm:${ins.join(',')}:${eps}`;
    const made = b.peek(key);
    if (made) return made[slot];
    const c = n.inputs[0].shape[1];
    const outs = [b.fresh(), b.fresh(), b.fresh()];
    outs[slot] = out;
    b.once(key, () => {
      // The running-stat inputs are ignored (momentum 0) but must hold values no other initializer holds: ORT
      // merges equal initializers, and BatchNormalization outputs whose inputs were merged return each
      // other's statistics (measured: the mean output equal to the variance).
      const tag = b.fresh('bnstat');
      const uid = Number(tag.replace(/\D/g, '')) + 1;
      const zeros = b.initializer(tag, 'float32', [c], new Float32Array(c).fill(uid));
      const ones = b.initializer(b.fresh('bnstat'), 'float32', [c], new Float32Array(c).fill(uid + 0.5));
      return b.node(
        'BatchNormalization',
        [...ins, zeros, ones],
        { epsilon: { float: eps }, momentum: { float: 0 }, training_mode: 1 },
        { outputs: outs },
      );
    });
  },
  softmax: (b, ins, out, { axis }) => b.node('Softmax', ins, { axis }, { outputs: [out] }),
  logSoftmax: (b, ins, out, { axis }) => b.node('LogSoftmax', ins, { axis }, { outputs: [out] }),
  reshape: (b, [x], out, _a, n) => b.node('Reshape', [x, b.int64s(n.shape)], {}, { outputs: [out] }),
  transpose: (b, ins, out, { perm }) => b.node('Transpose', ins, { perm }, { outputs: [out] }),
  expand: (b, [x], out, { shape }) => b.node('Expand', [x, b.int64s(shape)], {}, { outputs: [out] }),
  slice: (b, [x], out, { starts, ends, axes }) =>
    b.node('Slice', [x, b.int64s(starts), b.int64s(ends), b.int64s(axes)], {}, { outputs: [out] }),
  pad: (b, [x], out, { pads }) => b.node('Pad', [x, b.int64s(pads)], {}, { outputs: [out] }),
  concat: (b, ins, out, { axis }) => b.node('Concat', ins, { axis }, { outputs: [out] }),
  gather: (b, ins, out) => b.node('Gather', ins, { axis: 0 }, { outputs: [out] }),
  scatterAdd: (b, [idx, upd], out, { shape }, n) => {
    const zeros = b.node('ConstantOfShape', [b.int64s(shape)])[0];
    const idxShape = n.inputs[0].shape;
    const idx1 = b.node('Reshape', [idx, b.int64s([...idxShape, 1])])[0];
    b.node('ScatterND', [zeros, idx1, upd], { reduction: 'add' }, { outputs: [out] });
  },
  topK: (b, [x], out, { k, part }) => {
    const slot = part === 'values' ? 0 : 1;
    const key = `topk:${x}:${k}`;
    const made = b.peek(key);
    if (made) return made[slot];
    const outs = [b.fresh(), b.fresh()];
    outs[slot] = out;
    b.once(key, () =>
      b.node('TopK', [x, b.int64s([k])], { axis: -1, largest: 1, sorted: 1 }, { outputs: outs }),
    );
  },
};

/**
 * A dense 2-D convolution as ORT's NCHWc (channel-blocked) kernels, which ORT's own layout transform applies only
 * when the weights are constant initializers, i.e. never in a training graph where they are inputs. The weights are
 * reordered in the graph (Reshape/Transpose of a small tensor: OIHW → [O/B][I/B][kh][kw][Bi][Bo], or
 * [O/B][I][kh][kw][Bo] when the input has fewer than B channels and is read in NCHW), the input is reordered to
 * NCHWc unless a blocked copy of it already exists (a conv's output feeding the next conv), and the output back to
 * NCHW. `activation: 'Relu'` applies a following ReLU inside the kernel (the exporter passes it for a conv whose
 * only consumer is a ReLU; ORT's Conv+Relu fusion does not see nchwc nodes). Returns false (emit a plain Conv)
 * when the shapes do not fit the blocking.
 */
export function nchwcConv(
  b: OnnxBuilder,
  ins: readonly string[],
  out: string,
  { strides, pads, group }: OpAttrs['conv2d'],
  n: Parameters<Emitter<unknown>>[4],
  activation?: 'Relu',
): boolean {
  const B = b.nchwcBlock;
  if (!B || group !== 1 || n.inputs[1].rank !== 4) return false;
  const [o, i, kh, kw] = n.inputs[1].shape;
  const blockedInput = i >= B;
  if (o % B !== 0 || (blockedInput && i % B !== 0)) return false;
  const w = blockedInput
    ? b.node('Transpose', [b.node('Reshape', [ins[1], b.int64s([o / B, B, i / B, B, kh, kw])])[0]], {
        perm: [0, 2, 4, 5, 3, 1],
      })[0]
    : b.node('Transpose', [b.node('Reshape', [ins[1], b.int64s([o / B, B, i, kh, kw])])[0]], {
        perm: [0, 2, 3, 4, 1],
      })[0];
  const wc = b.node('Reshape', [w, b.int64s([o, i, kh, kw])])[0];
  const x = blockedInput
    ? b.once(`nchwc:${ins[0]}`, () => b.nchwcNode('ReorderInput', [ins[0]], {}))[0]
    : ins[0];
  const y = b.nchwcNode('Conv', [x, wc, ...ins.slice(2)], {
    strides,
    pads,
    group,
    kernel_shape: [kh, kw],
    ...(activation ? { activation } : {}),
  })[0];
  b.nchwcNode('ReorderOutput', [y], { channels: o }, [out]);
  // The blocked output is what a following NCHWc conv reads instead of reordering `out` again.
  b.once(`nchwc:${out}`, () => [y]);
  return true;
}

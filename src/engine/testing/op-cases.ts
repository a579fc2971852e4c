import type { DType, PrimOp, Shape } from '../ir/ops.ts';
import * as F from '../functional/index.ts';
import { prim, type Tensor } from '../tensor.ts';

/** How a test fills an input: normal floats, positive floats, integers in [0, n), or random booleans. */
export type Fill = 'normal' | 'positive' | { int: number } | 'bool';
export interface InputSpec {
  readonly shape: Shape;
  readonly dtype?: DType;
  readonly fill?: Fill;
}
export interface OpCase {
  readonly inputs: readonly InputSpec[];
  readonly build: (ins: Tensor[]) => Tensor;
  /** Why the finite-difference check does not apply (the gradient is then checked to be zero or absent). */
  readonly noGrad?: string;
  /** grad() must refuse this case with a message matching this pattern. */
  readonly gradThrows?: RegExp;
}

const f = (...shape: number[]): InputSpec => ({ shape });
const pos = (...shape: number[]): InputSpec => ({ shape, fill: 'positive' });
const conv = { strides: [1, 1], pads: [1, 1, 1, 1], group: 1 } as const;

/**
 * One small case per primitive, keyed by op so a new primitive without a case is a compile error. The cases
 * drive the gradient check against finite differences and the ONNX Runtime vs reference check.
 */
export const OP_CASES: { [K in PrimOp]: readonly OpCase[] } = {
  add: [{ inputs: [f(3, 4), f(4)], build: ([a, b]) => a.add(b) }],
  sub: [{ inputs: [f(2, 1, 3), f(4, 1)], build: ([a, b]) => a.sub(b) }],
  mul: [{ inputs: [f(3, 4), f(3, 1)], build: ([a, b]) => a.mul(b) }],
  div: [{ inputs: [f(3, 4), pos(4)], build: ([a, b]) => a.div(b) }],
  max: [{ inputs: [f(3, 4), f(3, 4)], build: ([a, b]) => a.maximum(b) }],
  min: [{ inputs: [f(3, 4), f(4)], build: ([a, b]) => a.minimum(b) }],
  greater: [{ inputs: [f(3, 4), f(3, 4)], build: ([a, b]) => a.gt(b).cast('float32'), noGrad: 'comparison' }],
  equal: [
    {
      inputs: [
        { shape: [6], dtype: 'int64', fill: { int: 3 } },
        { shape: [6], dtype: 'int64', fill: { int: 3 } },
      ],
      build: ([a, b]) => a.eq(b).cast('float32'),
      noGrad: 'integer inputs',
    },
  ],
  neg: [{ inputs: [f(5)], build: ([a]) => a.neg() }],
  exp: [{ inputs: [f(2, 3)], build: ([a]) => a.exp() }],
  log: [{ inputs: [pos(2, 3)], build: ([a]) => a.log() }],
  sqrt: [{ inputs: [pos(2, 3)], build: ([a]) => a.sqrt() }],
  tanh: [{ inputs: [f(2, 3)], build: ([a]) => a.tanh() }],
  sigmoid: [{ inputs: [f(2, 3)], build: ([a]) => a.sigmoid() }],
  softplus: [{ inputs: [f(2, 3)], build: ([a]) => a.mul(8).softplus() }],
  relu: [{ inputs: [f(3, 4)], build: ([a]) => a.relu() }],
  erf: [{ inputs: [f(2, 3)], build: ([a]) => a.erf() }],
  acos: [{ inputs: [f(2, 3)], build: ([a]) => a.tanh().mul(0.9).acos() }],
  gelu: [
    { inputs: [f(3, 4)], build: ([a]) => prim('gelu', [a], {}) },
    // the training form: forward from the saved u and Φ, gradient reusing them
    { inputs: [f(3, 4)], build: ([a]) => F.gelu(a.mul(3), { saveCdf: true }) },
  ],
  abs: [{ inputs: [f(2, 3)], build: ([a]) => a.abs() }],
  cast: [
    {
      inputs: [f(2, 3)],
      build: ([a]) => a.mul(3).cast('int64').cast('float32'),
      noGrad: 'piecewise constant',
    },
    { inputs: [f(2, 3)], build: ([a]) => prim('cast', [a], { to: 'float32' }) },
  ],
  stopGradient: [
    { inputs: [f(2, 3)], build: ([a]) => a.stopGradient().exp(), noGrad: 'gradient blocked by design' },
  ],
  where: [
    {
      inputs: [{ shape: [3, 4], fill: 'bool', dtype: 'bool' }, f(3, 4), f(4)],
      build: ([c, a, b]) => prim('where', [c, a, b], {}),
    },
  ],
  matmul: [
    { inputs: [f(3, 4), f(4, 5)], build: ([a, b]) => a.matmul(b) },
    { inputs: [f(4, 3), f(5, 4)], build: ([a, b]) => a.matmul(b, { transA: true, transB: true }) },
    { inputs: [f(2, 3, 4), f(4, 5)], build: ([a, b]) => a.matmul(b) },
    { inputs: [f(2, 3, 4), f(5, 4)], build: ([a, b]) => a.matmul(b, { transB: true }) },
    { inputs: [f(2, 2, 4, 3), f(2, 2, 4, 5)], build: ([a, b]) => a.matmul(b, { transA: true }) },
    { inputs: [f(2, 3, 4), f(2, 5, 4)], build: ([a, b]) => a.matmul(b, { transB: true }) },
  ],
  conv2d: [
    { inputs: [f(2, 3, 5, 5), f(4, 3, 3, 3)], build: ([x, w]) => prim('conv2d', [x, w], conv) },
    {
      inputs: [f(2, 2, 6, 6), f(3, 2, 3, 3), f(3)],
      build: ([x, w, b]) => prim('conv2d', [x, w, b], { ...conv, strides: [2, 2] }),
    },
    {
      inputs: [f(1, 2, 5, 5), f(3, 2, 1, 1)],
      build: ([x, w]) => prim('conv2d', [x, w], { strides: [2, 2], pads: [0, 0, 0, 0], group: 1 }),
    },
    // Channel counts that are multiples of ORT's NCHWc block (8 on AVX2, 16 on AVX-512): the training graph runs
    // these, and the stride-1 input gradient, as blocked-layout kernels; fewer input channels than the block
    // read the input in NCHW.
    {
      inputs: [f(1, 16, 4, 4), f(16, 16, 3, 3), f(16)],
      build: ([x, w, b]) => prim('conv2d', [x, w, b], conv),
    },
    {
      inputs: [f(1, 3, 5, 5), f(16, 3, 3, 3), f(16)],
      build: ([x, w, b]) => prim('conv2d', [x, w, b], { ...conv, strides: [2, 2] }),
    },
    // Stride 2 with x exactly twice the output and 16-channel multiples: the input gradient is four stride-1
    // phase convolutions and an interleave (conv-grad.ts), here for 3×3 / pad 1, 4×4 / pad 1, and asymmetric pads.
    {
      inputs: [f(1, 16, 4, 4), f(16, 16, 3, 3), f(16)],
      build: ([x, w, b]) => prim('conv2d', [x, w, b], { ...conv, strides: [2, 2] }),
    },
    {
      inputs: [f(1, 16, 4, 4), f(16, 16, 4, 4)],
      build: ([x, w]) => prim('conv2d', [x, w], { ...conv, strides: [2, 2] }),
    },
    {
      inputs: [f(1, 16, 4, 4), f(16, 16, 3, 3)],
      build: ([x, w]) => prim('conv2d', [x, w], { strides: [2, 2], pads: [0, 1, 1, 0], group: 1 }),
    },
  ],
  convTranspose2d: [
    {
      inputs: [f(2, 3, 3, 3), f(3, 2, 3, 3)],
      build: ([x, w]) => prim('convTranspose2d', [x, w], { ...conv, strides: [2, 2], outputPadding: [1, 0] }),
    },
  ],
  reduceSum: [
    { inputs: [f(2, 3, 4)], build: ([a]) => a.sum([0, 2]) },
    // leading axes: emitted as ones @ x (a GEMV), with and without kept dims
    { inputs: [f(2, 3, 4)], build: ([a]) => a.sum([0, 1]) },
    { inputs: [f(5, 3)], build: ([a]) => a.sum(0, true) },
  ],
  reduceMax: [{ inputs: [f(2, 3, 4)], build: ([a]) => a.max(1, true) }],
  layerNorm: [
    {
      inputs: [f(2, 3, 5), f(5), f(5)],
      build: ([x, g, b]) => prim('layerNorm', [x, g, b], { eps: 1e-5, part: 'y' }),
    },
    {
      inputs: [f(4, 6), f(6), f(6)],
      build: ([x, g, b]) =>
        prim('layerNorm', [x, g, b], { eps: 1e-5, part: 'invStd' }).add(
          prim('layerNorm', [x, g, b], { eps: 1e-5, part: 'mean' }),
        ),
      noGrad: 'statistics parts',
      gradThrows: /not differentiable/,
    },
  ],
  batchNorm: [
    {
      inputs: [f(4, 3, 2, 3), f(3), f(3)],
      build: ([x, g, b]) => prim('batchNorm', [x, g, b], { eps: 1e-5, part: 'y' }),
    },
    {
      inputs: [f(6, 4), f(4), f(4)],
      build: ([x, g, b]) => prim('batchNorm', [x, g, b], { eps: 1e-5, part: 'y' }),
    },
    {
      inputs: [f(5, 2, 3), f(2), f(2)],
      build: ([x, g, b]) =>
        prim('batchNorm', [x, g, b], { eps: 1e-5, part: 'var' }).add(
          prim('batchNorm', [x, g, b], { eps: 1e-5, part: 'mean' }),
        ),
      noGrad: 'statistics parts',
      gradThrows: /not differentiable/,
    },
  ],
  softmax: [{ inputs: [f(3, 5)], build: ([a]) => a.softmax(-1) }],
  logSoftmax: [{ inputs: [f(3, 5)], build: ([a]) => a.logSoftmax(0) }],
  reshape: [{ inputs: [f(2, 6)], build: ([a]) => a.reshape([3, -1]).mul(a.reshape([3, 4])) }],
  transpose: [{ inputs: [f(2, 3, 4)], build: ([a]) => a.transpose([2, 0, 1]) }],
  expand: [{ inputs: [f(3, 1)], build: ([a]) => a.expand([2, 3, 4]) }],
  slice: [{ inputs: [f(4, 5)], build: ([a]) => a.slice([0, 1], [1, -3], [3, 5]) }],
  pad: [{ inputs: [f(2, 3)], build: ([a]) => a.pad([1, 0, 0, 2]) }],
  concat: [{ inputs: [f(2, 3), f(2, 1)], build: ([a, b]) => prim('concat', [a, b, a], { axis: 1 }) }],
  gather: [
    {
      inputs: [f(5, 3), { shape: [2, 3], dtype: 'int64', fill: { int: 5 } }],
      build: ([d, i]) => d.gather(i),
    },
  ],
  scatterAdd: [
    {
      inputs: [{ shape: [4], dtype: 'int64', fill: { int: 3 } }, f(4, 2)],
      build: ([i, u]) => prim('scatterAdd', [i, u], { shape: [3, 2] }),
    },
  ],
  topK: [
    {
      inputs: [f(3, 6)],
      build: ([a]) => a.topK(2).values,
      noGrad: 'topK is not differentiable',
      gradThrows: /not differentiable/,
    },
    { inputs: [f(3, 6)], build: ([a]) => a.topK(3).indices.cast('float32'), noGrad: 'indices' },
  ],
};

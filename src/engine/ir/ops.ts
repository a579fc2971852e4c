/**
 * The primitive set: every traced computation lowers to these ops, and each maps to one ONNX opset-18 node
 * (`onnx/emit-rules.ts`), has one gradient rule (`autodiff/vjp-rules.ts`), one shape rule (`ir/infer.ts`) and
 * one float64 reference implementation (`runtime/reference.ts`). The tables are typed
 * `{ [K in PrimOp]: ... }`, so adding an op here without its four entries is a compile error.
 */
export type DType = 'float32' | 'int64' | 'bool';
export type Shape = readonly number[];

type None = Record<string, never>;
export interface ReduceAttrs {
  readonly axes: readonly number[];
  readonly keepDims: boolean;
}
export interface ConvAttrs {
  readonly strides: readonly [number, number];
  /** [top, left, bottom, right] as ONNX orders them. */
  readonly pads: readonly [number, number, number, number];
  readonly group: number;
}

export interface OpAttrs {
  // elementwise binary (numpy broadcasting)
  add: None;
  sub: None;
  mul: None;
  div: None;
  max: None;
  min: None;
  greater: None;
  equal: None;
  // elementwise unary
  neg: None;
  exp: None;
  log: None;
  sqrt: None;
  tanh: None;
  sigmoid: None;
  softplus: None;
  relu: None;
  erf: None;
  /** GELU, exact erf form: x·Φ(x) (one com.microsoft.Gelu node). */
  /**
   * x·Φ(x) (exact erf form). Inputs [x] or, in training graphs, [x, u = x/√2, Φ(x)]: the forward's saved
   * scaled input and CDF, which the gradient reuses (see F.gelu).
   */
  gelu: None;
  abs: None;
  acos: None;
  cast: { readonly to: DType };
  stopGradient: None;
  // selection
  where: None;
  // linear algebra: [..., M, K] x [..., K, N] with optional transposes of the last two axes
  matmul: { readonly transA: boolean; readonly transB: boolean };
  conv2d: ConvAttrs;
  convTranspose2d: ConvAttrs & { readonly outputPadding: readonly [number, number] };
  // reductions and normalisers
  reduceSum: ReduceAttrs;
  reduceMax: ReduceAttrs;
  softmax: { readonly axis: number };
  /**
   * Layer normalisation over the last axis (ONNX LayerNormalization): x, gamma [D], beta [D]. `part` selects the
   * normalised output or the saved per-row mean / inverse standard deviation ([..., 1]) of one shared node,
   * which the gradient reuses.
   */
  layerNorm: { readonly eps: number; readonly part: 'y' | 'mean' | 'invStd' };
  /**
   * Training-mode batch normalisation over every axis but 1 (ONNX BatchNormalization, training_mode 1): x
   * [B, C, ...], gamma [C], beta [C]. `part` selects the output normalised with the batch statistics, or the
   * batch mean / biased variance ([C]) of one shared node, which the gradient reuses.
   */
  batchNorm: { readonly eps: number; readonly part: 'y' | 'mean' | 'var' };
  logSoftmax: { readonly axis: number };
  // movement
  reshape: { readonly shape: Shape };
  transpose: { readonly perm: readonly number[] };
  expand: { readonly shape: Shape };
  slice: {
    readonly starts: readonly number[];
    readonly ends: readonly number[];
    readonly axes: readonly number[];
  };
  pad: { readonly pads: readonly number[] /* ONNX order: all begins, then all ends */ };
  concat: { readonly axis: number };
  /** Rows of `data` along axis 0 picked by integer `indices`: [V, ...R] x [...I] -> [...I, ...R]. */
  gather: None;
  /** Zeros of `shape` with `updates` rows added at `indices` along axis 0 (the adjoint of gather). */
  scatterAdd: { readonly shape: Shape };
  /** Largest k along the last axis; `part` picks the values or the int64 indices of one shared TopK node. */
  topK: { readonly k: number; readonly part: 'values' | 'indices' };
}

export type PrimOp = keyof OpAttrs;
export type LeafOp = 'input' | 'constant';
export type Op = PrimOp | LeafOp;

export const PRIM_OPS = [
  'add',
  'sub',
  'mul',
  'div',
  'max',
  'min',
  'greater',
  'equal',
  'neg',
  'exp',
  'log',
  'sqrt',
  'tanh',
  'sigmoid',
  'softplus',
  'relu',
  'erf',
  'gelu',
  'abs',
  'acos',
  'cast',
  'stopGradient',
  'where',
  'matmul',
  'conv2d',
  'convTranspose2d',
  'reduceSum',
  'reduceMax',
  'softmax',
  'layerNorm',
  'batchNorm',
  'logSoftmax',
  'reshape',
  'transpose',
  'expand',
  'slice',
  'pad',
  'concat',
  'gather',
  'scatterAdd',
  'topK',
] as const satisfies readonly PrimOp[];

// Compile-time check that PRIM_OPS lists every op exactly once.
type Missing = Exclude<PrimOp, (typeof PRIM_OPS)[number]>;
const _complete: Missing extends never ? true : Missing = true;
void _complete;

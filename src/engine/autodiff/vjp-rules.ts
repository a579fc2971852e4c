import type { OpAttrs, PrimOp } from '../ir/ops.ts';
import { normAxis, sameShape } from '../ir/shape.ts';
import { unbroadcast } from './unbroadcast.ts';
import { GraphError, prim, scalar, type Tensor } from '../tensor.ts';
import { convInputGrad, convWeightGrad } from './conv-grad.ts';

/**
 * A vector-Jacobian product: given the output cotangent `g`, the node's output `y`, its inputs and attributes,
 * return one cotangent per input (null where none flows). Cotangents may carry the output's broadcast shape;
 * `backward.ts` sums them back to each input's shape once, so no rule handles broadcasting itself.
 */
export type VjpRule<K extends PrimOp> = (
  g: Tensor,
  y: Tensor,
  inputs: readonly Tensor[],
  attrs: OpAttrs[K],
  /** Which inputs need a cotangent; a rule may skip (return null for) the others. */
  wants: readonly boolean[],
) => (Tensor | null)[];

// ReLU and mask gradients multiply by a cast comparison: ORT's Where and Sign kernels are 2-3x slower (engine guide §6).
const mask = (cond: Tensor) => cond.cast('float32');
const nonDiff = (op: string) => (): never => {
  throw new GraphError(`${op} is not differentiable`);
};

export const VJP: { [K in PrimOp]: VjpRule<K> } = {
  add: (g) => [g, g],
  // A broadcast subtrahend (x − mean) is negated after its broadcast reduction, on the small tensor.
  sub: (g, _y, [, b]) => [g, sameShape(g.shape, b.shape) ? g.neg() : unbroadcast(g, b.shape, 'sub').neg()],
  mul: (g, _y, [a, b]) => [g.mul(b), g.mul(a)],
  div: (g, y, [, b]) => [g.div(b), g.mul(y).div(b).neg()],
  max: (g, _y, [a, b]) => {
    const m = mask(a.gt(b));
    return [g.mul(m), g.sub(g.mul(m))];
  },
  min: (g, _y, [a, b]) => {
    const m = mask(b.gt(a));
    return [g.mul(m), g.sub(g.mul(m))];
  },
  greater: () => [null, null],
  equal: () => [null, null],
  neg: (g) => [g.neg()],
  exp: (g, y) => [g.mul(y)],
  log: (g, _y, [x]) => [g.div(x)],
  sqrt: (g, y) => [g.mul(0.5).div(y)],
  tanh: (g, y) => [g.sub(g.mul(y.square()))],
  sigmoid: (g, y) => [g.mul(y.sub(y.square()))],
  softplus: (g, _y, [x]) => [g.mul(x.sigmoid())],
  // A broadcast cotangent (a mean's or sum's, e.g. global average pooling) multiplies the full-shape mask
  // unexpanded: Mul broadcasts, so the Expand pass is never materialised.
  relu: (g, y) => [(g.op === 'expand' ? g.inputs[0] : g).mul(mask(y.gt(0)))],
  erf: (g, _y, [x]) => [
    g.mul(
      x
        .square()
        .neg()
        .exp()
        .mul(2 / Math.sqrt(Math.PI)),
    ),
  ],
  // d/dx x·Φ(x) = Φ(x) + x·φ(x). With the forward's saved u = x/√2 and Φ: x·φ(x) = (x/√(2π)) / exp(u²),
  // six full-size passes (exp(u²) overflows to ∞ for |u| > 9.4, where the term is 0 as it should be).
  gelu: (g, _y, [x, u, cdf]) =>
    u && cdf
      ? [
          g.mul(
            x
              .mul(1 / Math.sqrt(2 * Math.PI))
              .div(u.mul(u).exp())
              .add(cdf),
          ),
          null,
          null,
        ]
      : [g.mul(geluDerivative(x))],
  abs: (g, _y, [x]) => [g.mul(mask(x.gt(0)).sub(mask(x.neg().gt(0))))],
  acos: (g, _y, [x]) => [g.div(x.square().neg().add(1).sqrt()).neg()],
  cast: (g, y, [x]) => [x.dtype === 'float32' && y.dtype === 'float32' ? g : null],
  stopGradient: () => [null],
  where: (g, _y, [c]) => {
    const m = mask(c);
    return [null, g.mul(m), g.sub(g.mul(m))];
  },
  matmul: (g, _y, [a, b], { transA, transB }) => {
    // C = op(A)·op(B). For a batched A against a 2-D B (a linear layer on [B, T, D]) the B-gradient is one
    // flattened GEMM instead of a batch of products summed afterwards.
    const flatB = b.rank === 2 && a.rank > 2;
    const a2 = flatB ? a.reshape([-1, a.shape[a.rank - 1]]) : a;
    const g2 = flatB ? g.reshape([-1, g.shape[g.rank - 1]]) : g;
    if (flatB && transA)
      throw new GraphError('matmul: transA on a batched operand against a 2-D one is not supported');
    const da = !transA
      ? g.matmul(b, { transB: !transB })
      : transB
        ? b.matmul(g, { transA: true, transB: true })
        : b.matmul(g, { transB: true });
    const db = !transB
      ? a2.matmul(g2, { transA: !transA })
      : transA
        ? g.matmul(a, { transA: true, transB: true })
        : g2.matmul(a2, { transA: true });
    return [da, db];
  },
  conv2d: (g, _y, [x, w, bias], at) => [
    convInputGrad(g, x, w, at),
    convWeightGrad(g, x, w, at),
    ...(bias ? [g.sum([0, 2, 3])] : []),
  ],
  // ConvTranspose is the adjoint of conv2d: its input gradient is a conv2d, and its weight gradient is the conv
  // weight gradient with the roles of input and cotangent exchanged.
  convTranspose2d: (g, _y, [x, w], at, wants) => {
    const { outputPadding: _op, ...conv } = at;
    return [prim('conv2d', [g, w], conv), wants[1] ? convWeightGrad(x, g, w, conv) : null];
  },
  reduceSum: (g, _y, [x], { axes, keepDims }) => [unreduce(g, x, axes, keepDims)],
  reduceMax: (g, y, [x], { axes, keepDims }) => {
    const m = mask(x.eq(unreduce(y, x, axes, keepDims)));
    const count = m.sum(axes, true);
    return [m.mul(unreduce(g, x, axes, keepDims)).div(count)];
  },
  // Reuses the forward node's saved mean and 1/σ: dx = (1/σ)·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = g·γ;
  // dγ = g·x̂ and dβ = g are summed over the leading axes by the broadcast reduction in backward.ts.
  layerNorm: (g, _y, [x, gamma, beta], { eps, part }) => {
    if (part !== 'y')
      throw new GraphError('layerNorm statistics are not differentiable (differentiate the y part)');
    const mean = prim('layerNorm', [x, gamma, beta], { eps, part: 'mean' });
    const inv = prim('layerNorm', [x, gamma, beta], { eps, part: 'invStd' });
    const xhat = x.sub(mean).mul(inv);
    const gg = g.mul(gamma);
    const dx = gg
      .sub(gg.mean(-1, true))
      .sub(xhat.mul(gg.mul(xhat).mean(-1, true)))
      .mul(inv);
    return [dx, g.mul(xhat), g];
  },
  // Reuses the forward node's batch mean μ and variance: with a = γ/σ, Σg and Σg·x over every axis but 1 (M
  // values per channel), dβ = Σg, dγ = (Σg·x − μ·Σg)/σ and dx = a·g + b·x + c, where b = −a·dγ/(σ·M) and
  // c = −a·Σg/M − μ·b: four full-size passes and two reductions.
  batchNorm: (g, _y, [x, gamma, beta], { eps, part }) => {
    if (part !== 'y')
      throw new GraphError('batchNorm statistics are not differentiable (differentiate the y part)');
    const c = x.shape[1];
    const stat = [1, c, ...x.shape.slice(2).map(() => 1)];
    const axes = [0, ...x.shape.slice(2).map((_, i) => i + 2)];
    const count = x.size / c;
    const mean = prim('batchNorm', [x, gamma, beta], { eps, part: 'mean' });
    const inv = scalar(1).div(prim('batchNorm', [x, gamma, beta], { eps, part: 'var' }).add(eps).sqrt());
    const sumG = g.sum(axes).reshape([c]);
    const sumGx = g.mul(x).sum(axes).reshape([c]);
    const dGamma = sumGx.sub(mean.mul(sumG)).mul(inv);
    const a = gamma.mul(inv);
    // Divide by the integer −M (exact in float32; a float32 −1/M would break Σdx = 0 in the float64 oracle).
    const bx = a.mul(inv).mul(dGamma).div(-count);
    const cx = a.mul(sumG).div(-count).sub(mean.mul(bx));
    const dx = g
      .mul(a.reshape(stat))
      .add(x.mul(bx.reshape(stat)))
      .add(cx.reshape(stat));
    return [dx, dGamma, sumG];
  },
  softmax: (g, y, _x, { axis }) => [y.mul(g.sub(g.mul(y).sum(axis, true)))],
  logSoftmax: (g, y, _x, { axis }) => [g.sub(y.exp().mul(g.sum(axis, true)))],
  reshape: (g, _y, [x]) => [g.reshape(x.shape)],
  transpose: (g, _y, _x, { perm }) => {
    const inv = new Array(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [g.transpose(inv)];
  },
  expand: (g) => [g],
  slice: (g, _y, [x], { axes, starts }) => {
    const r = x.rank;
    const pads = new Array(2 * r).fill(0);
    axes.forEach((ax, i) => {
      const d = normAxis(ax, r);
      const s = Math.min(Math.max(starts[i] < 0 ? starts[i] + x.shape[d] : starts[i], 0), x.shape[d]);
      pads[d] = s;
      pads[d + r] = x.shape[d] - s - g.shape[d];
    });
    return [g.pad(pads)];
  },
  pad: (g, _y, [x], { pads }) => {
    const r = x.rank;
    const axes = x.shape.map((_, i) => i);
    return [
      g.slice(
        axes,
        axes.map((i) => pads[i]),
        axes.map((i) => pads[i] + x.shape[i]),
      ),
    ];
  },
  concat: (g, _y, ins, { axis }) => {
    let at = 0;
    return ins.map((t) => {
      const s = g.slice([axis], [at], [at + t.shape[axis]]);
      at += t.shape[axis];
      return s;
    });
  },
  gather: (g, _y, [data, idx]) => [prim('scatterAdd', [idx, g], { shape: data.shape }), null],
  scatterAdd: (g, _y, [idx]) => [null, g.gather(idx)],
  topK: nonDiff('topK'),
};

/** Bring a reduced cotangent back to the input's shape (re-insert reduced axes, then broadcast). */
function unreduce(g: Tensor, x: Tensor, axes: readonly number[], keepDims: boolean): Tensor {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const gk = keepDims ? g : g.reshape(kept);
  return gk.expand(x.shape);
}

/** Φ(x) + x·φ(x) from x alone (inference-style gelu nodes without the saved CDF). */
function geluDerivative(x: Tensor): Tensor {
  return x
    .mul(Math.SQRT1_2)
    .erf()
    .add(1)
    .mul(0.5)
    .add(x.mul(x.square().mul(-0.5).exp()).mul(1 / Math.sqrt(2 * Math.PI)));
}

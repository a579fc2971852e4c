import type { DType, OpAttrs, PrimOp, Shape } from './ops.ts';
import { broadcastShapes, fmt, normAxis, resolveReshape, sameShape, size } from './shape.ts';

export interface Meta {
  shape: Shape;
  dtype: DType;
}
type Rule<K extends PrimOp> = (ins: readonly Meta[], attrs: OpAttrs[K]) => Meta;

const fail = (msg: string): never => {
  throw new Error(msg);
};
const shapes = (ins: readonly Meta[]) => ins.map((m) => fmt(m.shape)).join(' and ');

function binary(dtypeOut?: DType): (ins: readonly Meta[]) => Meta {
  return (ins) => {
    const [a, b] = ins;
    if (a.dtype !== b.dtype) fail(`dtypes differ: ${a.dtype} and ${b.dtype}`);
    const s = broadcastShapes(a.shape, b.shape) ?? fail(`shapes ${shapes(ins)} do not broadcast`);
    return { shape: s, dtype: dtypeOut ?? a.dtype };
  };
}
const float = ([a]: readonly Meta[]): Meta => {
  if (a.dtype !== 'float32') fail(`expects float32, got ${a.dtype}`);
  return a;
};

function reduce(ins: readonly Meta[], { axes, keepDims }: OpAttrs['reduceSum']): Meta {
  const r = ins[0].shape.length;
  const ax = new Set(axes.map((a) => normAxis(a, r)));
  const shape = ins[0].shape.flatMap((d, i) => (ax.has(i) ? (keepDims ? [1] : []) : [d]));
  return { shape, dtype: ins[0].dtype };
}

function matmulShape([a, b]: readonly Meta[], { transA, transB }: OpAttrs['matmul']): Meta {
  if (a.shape.length < 2 || b.shape.length < 2) fail(`operands must have rank >= 2, got ${shapes([a, b])}`);
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [m, ka] = transA ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
  const [kb, n] = transB ? [b.shape[rb - 1], b.shape[rb - 2]] : [b.shape[rb - 2], b.shape[rb - 1]];
  if (ka !== kb) fail(`inner dimensions differ (${ka} vs ${kb}) for ${shapes([a, b])}`);
  const batch =
    broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2)) ??
    fail(`batch dims of ${shapes([a, b])} do not broadcast`);
  return { shape: [...batch, m, n], dtype: 'float32' };
}

function convOut(h: number, k: number, s: number, p0: number, p1: number): number {
  return Math.floor((h + p0 + p1 - k) / s) + 1;
}

export const INFER: { [K in PrimOp]: Rule<K> } = {
  add: binary(),
  sub: binary(),
  mul: binary(),
  div: binary(),
  max: binary(),
  min: binary(),
  greater: binary('bool'),
  equal: binary('bool'),
  neg: float,
  exp: float,
  log: float,
  sqrt: float,
  tanh: float,
  sigmoid: float,
  softplus: float,
  relu: float,
  erf: float,
  gelu: (ins) => {
    if (ins.length !== 1 && ins.length !== 3) fail(`takes [x] or [x, u, cdf], got ${ins.length} inputs`);
    if (ins.slice(1).some((t) => !sameShape(t.shape, ins[0].shape)))
      fail(`u and cdf must have x's shape ${fmt(ins[0].shape)}, got ${shapes(ins)}`);
    return float(ins);
  },
  abs: float,
  acos: float,
  cast: ([a], { to }) => ({ shape: a.shape, dtype: to }),
  stopGradient: ([a]) => a,
  where: (ins) => {
    const [c, a, b] = ins;
    if (c.dtype !== 'bool') fail(`condition must be bool, got ${c.dtype}`);
    if (a.dtype !== b.dtype) fail(`branch dtypes differ: ${a.dtype} and ${b.dtype}`);
    const s1 = broadcastShapes(a.shape, b.shape);
    const s = (s1 && broadcastShapes(c.shape, s1)) ?? fail(`shapes ${shapes(ins)} do not broadcast`);
    return { shape: s, dtype: a.dtype };
  },
  matmul: matmulShape,
  conv2d: (ins, { strides, pads, group }) => {
    const [x, w] = ins;
    if (x.shape.length !== 4 || w.shape.length !== 4)
      fail(`expects x [N,C,H,W] and w [O,C/g,kh,kw], got ${shapes(ins)}`);
    const [n, c, h, wd] = x.shape;
    const [o, cg, kh, kw] = w.shape;
    if (c !== cg * group)
      fail(`input channels ${c} != weight channels ${cg} x group ${group} for ${shapes(ins)}`);
    if (ins[2] && (ins[2].shape.length !== 1 || ins[2].shape[0] !== o))
      fail(`bias must be [${o}], got ${fmt(ins[2].shape)}`);
    const ho = convOut(h, kh, strides[0], pads[0], pads[2]);
    const wo = convOut(wd, kw, strides[1], pads[1], pads[3]);
    if (ho <= 0 || wo <= 0) fail(`kernel larger than padded input for ${shapes(ins)}`);
    return { shape: [n, o, ho, wo], dtype: 'float32' };
  },
  convTranspose2d: (ins, { strides, pads, group, outputPadding }) => {
    const [x, w] = ins;
    const [n, c, h, wd] = x.shape;
    const [ci, og, kh, kw] = w.shape;
    if (c !== ci) fail(`input channels ${c} != weight rows ${ci} for ${shapes(ins)}`);
    const ho = (h - 1) * strides[0] - pads[0] - pads[2] + kh + outputPadding[0];
    const wo = (wd - 1) * strides[1] - pads[1] - pads[3] + kw + outputPadding[1];
    return { shape: [n, og * group, ho, wo], dtype: 'float32' };
  },
  reduceSum: reduce,
  reduceMax: reduce,
  layerNorm: (ins, { part }) => {
    const [x, g, b] = ins;
    const d = x.shape[x.shape.length - 1];
    if (x.dtype !== 'float32') fail(`expects float32, got ${x.dtype}`);
    if (g.shape.length !== 1 || g.shape[0] !== d || b.shape.length !== 1 || b.shape[0] !== d)
      fail(`gamma and beta must be [${d}], got ${shapes([g, b])}`);
    return { shape: part === 'y' ? x.shape : [...x.shape.slice(0, -1), 1], dtype: 'float32' };
  },
  batchNorm: (ins, { part }) => {
    const [x, g, b] = ins;
    if (x.dtype !== 'float32') fail(`expects float32, got ${x.dtype}`);
    if (x.shape.length < 2) fail(`expects [B, C, ...], got ${fmt(x.shape)}`);
    const c = x.shape[1];
    if (g.shape.length !== 1 || g.shape[0] !== c || b.shape.length !== 1 || b.shape[0] !== c)
      fail(`gamma and beta must be [${c}], got ${shapes([g, b])}`);
    return { shape: part === 'y' ? x.shape : [c], dtype: 'float32' };
  },
  softmax: (ins, { axis }) => (normAxis(axis, ins[0].shape.length), ins[0]),
  logSoftmax: (ins, { axis }) => (normAxis(axis, ins[0].shape.length), ins[0]),
  reshape: ([a], { shape }) => ({ shape: resolveReshape(a.shape, shape), dtype: a.dtype }),
  transpose: ([a], { perm }) => {
    if (perm.length !== a.shape.length || [...perm].sort().some((p, i) => p !== i)) {
      fail(`perm [${perm}] is not a permutation of rank ${a.shape.length}`);
    }
    return { shape: perm.map((p) => a.shape[p]), dtype: a.dtype };
  },
  expand: ([a], { shape }) => {
    const s = broadcastShapes(a.shape, shape);
    if (!s || s.length !== shape.length || s.some((d, i) => d !== shape[i]))
      fail(`cannot expand ${fmt(a.shape)} to ${fmt(shape)}`);
    return { shape, dtype: a.dtype };
  },
  slice: ([a], { starts, ends, axes }) => {
    const out = [...a.shape];
    axes.forEach((ax, i) => {
      const d = normAxis(ax, a.shape.length);
      const s = Math.min(Math.max(starts[i] < 0 ? starts[i] + out[d] : starts[i], 0), out[d]);
      const e = Math.min(Math.max(ends[i] < 0 ? ends[i] + out[d] : ends[i], 0), out[d]);
      out[d] = Math.max(0, e - s);
    });
    return { shape: out, dtype: a.dtype };
  },
  pad: ([a], { pads }) => {
    const r = a.shape.length;
    if (pads.length !== 2 * r) fail(`pads needs ${2 * r} entries, got ${pads.length}`);
    return { shape: a.shape.map((d, i) => d + pads[i] + pads[i + r]), dtype: a.dtype };
  },
  concat: (ins, { axis }) => {
    const r = ins[0].shape.length;
    const ax = normAxis(axis, r);
    const out = [...ins[0].shape];
    out[ax] = 0;
    for (const m of ins) {
      if (m.shape.length !== r || m.shape.some((d, i) => i !== ax && d !== ins[0].shape[i]))
        fail(`shapes ${shapes(ins)} differ off axis ${axis}`);
      if (m.dtype !== ins[0].dtype) fail(`dtypes differ`);
      out[ax] += m.shape[ax];
    }
    return { shape: out, dtype: ins[0].dtype };
  },
  gather: ([data, idx]) => {
    if (idx.dtype !== 'int64') fail(`indices must be int64, got ${idx.dtype}`);
    return { shape: [...idx.shape, ...data.shape.slice(1)], dtype: data.dtype };
  },
  scatterAdd: ([idx, upd], { shape }) => {
    if (idx.dtype !== 'int64') fail(`indices must be int64, got ${idx.dtype}`);
    const want = [...idx.shape, ...shape.slice(1)];
    if (size(upd.shape) !== size(want) || upd.shape.length !== want.length)
      fail(`updates ${fmt(upd.shape)} must be ${fmt(want)}`);
    return { shape, dtype: upd.dtype };
  },
  topK: ([a], { k, part }) => {
    const last = a.shape[a.shape.length - 1];
    if (k > last) fail(`k = ${k} exceeds the last dimension ${last}`);
    return { shape: [...a.shape.slice(0, -1), k], dtype: part === 'values' ? a.dtype : 'int64' };
  },
};

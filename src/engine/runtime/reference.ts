import type { Graph } from '../graph.ts';
import type { OpAttrs, PrimOp, Shape } from '../ir/ops.ts';
import { broadcastShapes, normAxis, size, strides } from '../ir/shape.ts';
import type { Tensor } from '../tensor.ts';

/** A float64 array with a shape; int64 and bool values are stored as numbers. The oracle's value type. */
export interface RefValue {
  readonly shape: Shape;
  readonly data: Float64Array;
}

type Impl<K extends PrimOp> = (ins: readonly RefValue[], attrs: OpAttrs[K], out: Tensor) => RefValue;

/**
 * Evaluate a graph in float64 with straightforward loops: the oracle for gradient checks and for checking
 * ONNX Runtime's outputs. Slow by design; use it on small shapes.
 */
export function evaluate(
  graph: Graph,
  feeds: Record<string, ArrayLike<number | bigint>>,
): Record<string, RefValue> {
  const values = new Map<Tensor, RefValue>();
  for (const n of graph.nodes) {
    if (n.op === 'input') {
      const f = feeds[n.name!];
      if (!f) throw new Error(`reference: no feed for input '${n.name}'`);
      if (f.length !== size(n.shape))
        throw new Error(`reference: feed '${n.name}' has ${f.length} values, expected ${size(n.shape)}`);
      values.set(n, { shape: n.shape, data: Float64Array.from(f as ArrayLike<number>, Number) });
    } else if (n.op === 'constant') {
      values.set(n, { shape: n.shape, data: Float64Array.from(n.value as ArrayLike<number>, Number) });
    } else {
      const impl = REFERENCE[n.op] as Impl<PrimOp>;
      values.set(
        n,
        impl(
          n.inputs.map((i) => values.get(i)!),
          n.attrs as never,
          n,
        ),
      );
    }
  }
  const out: Record<string, RefValue> = {};
  for (const [k, t] of Object.entries(graph.outputs)) out[k] = values.get(t)!;
  return out;
}

function elementwise(ins: readonly RefValue[], f: (...x: number[]) => number): RefValue {
  let shape: number[] = [...ins[0].shape];
  for (const v of ins.slice(1)) shape = broadcastShapes(shape, v.shape)!;
  const n = size(shape);
  const out = new Float64Array(n);
  const st = strides(shape);
  const idx = ins.map((v) => {
    const vs = strides(v.shape);
    const lead = shape.length - v.shape.length;
    return shape.map((_, i) => (i < lead || v.shape[i - lead] === 1 ? 0 : vs[i - lead]));
  });
  const args = new Array(ins.length);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < ins.length; j++) {
      let off = 0;
      let rem = k;
      for (let i = 0; i < shape.length; i++) {
        const c = Math.floor(rem / st[i]);
        rem -= c * st[i];
        off += c * idx[j][i];
      }
      args[j] = ins[j].data[off];
    }
    out[k] = f(...args);
  }
  return { shape, data: out };
}

const un = (f: (x: number) => number) => (ins: readonly RefValue[]) => elementwise(ins, f);
const bin = (f: (a: number, b: number) => number) => (ins: readonly RefValue[]) => elementwise(ins, f);

function reduce(
  ins: readonly RefValue[],
  { axes, keepDims }: OpAttrs['reduceSum'],
  init: number,
  f: (a: number, b: number) => number,
): RefValue {
  const x = ins[0];
  const r = x.shape.length;
  const ax = axes.map((a) => normAxis(a, r));
  const kept = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const out = new Float64Array(size(kept)).fill(init);
  const xs = strides(x.shape);
  const ks = strides(kept);
  for (let k = 0; k < x.data.length; k++) {
    let rem = k;
    let o = 0;
    for (let i = 0; i < r; i++) {
      const c = Math.floor(rem / xs[i]);
      rem -= c * xs[i];
      if (!ax.includes(i)) o += c * ks[i];
    }
    out[o] = f(out[o], x.data[k]);
  }
  return { shape: keepDims ? kept : x.shape.filter((_, i) => !ax.includes(i)), data: out };
}

/** Apply `f` to every 1-D lane along `axis`. */
function lanes(x: RefValue, axis: number, f: (lane: number[]) => number[]): RefValue {
  const st = strides(x.shape);
  const len = x.shape[axis];
  const out = new Float64Array(x.data.length);
  for (let k = 0; k < x.data.length; k++) {
    if (Math.floor(k / st[axis]) % len !== 0) continue;
    const lane = Array.from({ length: len }, (_, j) => x.data[k + j * st[axis]]);
    f(lane).forEach((v, j) => (out[k + j * st[axis]] = v));
  }
  return { shape: x.shape, data: out };
}

function matmul([a, b]: readonly RefValue[], { transA, transB }: OpAttrs['matmul'], out: Tensor): RefValue {
  const [m, n] = out.shape.slice(-2);
  const k = transA ? a.shape[a.shape.length - 2] : a.shape[a.shape.length - 1];
  const batch = out.shape.slice(0, -2);
  const nb = size(batch);
  const res = new Float64Array(nb * m * n);
  const off = (v: RefValue, bi: number) => {
    const vb = v.shape.slice(0, -2);
    const lead = batch.length - vb.length;
    const bst = strides(batch);
    const vst = strides(vb);
    let o = 0;
    let rem = bi;
    for (let i = 0; i < batch.length; i++) {
      const c = Math.floor(rem / bst[i]);
      rem -= c * bst[i];
      if (i >= lead && vb[i - lead] !== 1) o += c * vst[i - lead];
    }
    return o * v.shape[v.shape.length - 1] * v.shape[v.shape.length - 2];
  };
  for (let bi = 0; bi < nb; bi++) {
    const ao = off(a, bi);
    const bo = off(b, bi);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = transA ? a.data[ao + p * m + i] : a.data[ao + i * k + p];
          const bv = transB ? b.data[bo + j * k + p] : b.data[bo + p * n + j];
          s += av * bv;
        }
        res[(bi * m + i) * n + j] = s;
      }
  }
  return { shape: out.shape, data: res };
}

function conv2d(
  [x, w, bias]: readonly RefValue[],
  { strides: s, pads, group }: OpAttrs['conv2d'],
  out: Tensor,
): RefValue {
  const [n, c, h, wd] = x.shape;
  const [o, cg, kh, kw] = w.shape;
  const [, , ho, wo] = out.shape;
  const og = o / group;
  const res = new Float64Array(size(out.shape));
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < o; oc++) {
      const gi = Math.floor(oc / og);
      for (let i = 0; i < ho; i++)
        for (let j = 0; j < wo; j++) {
          let acc = bias ? bias.data[oc] : 0;
          for (let ci = 0; ci < cg; ci++)
            for (let u = 0; u < kh; u++)
              for (let v = 0; v < kw; v++) {
                const y = i * s[0] - pads[0] + u;
                const z = j * s[1] - pads[1] + v;
                if (y < 0 || y >= h || z < 0 || z >= wd) continue;
                acc +=
                  x.data[((b * c + gi * cg + ci) * h + y) * wd + z] *
                  w.data[((oc * cg + ci) * kh + u) * kw + v];
              }
          res[((b * o + oc) * ho + i) * wo + j] = acc;
        }
    }
  return { shape: out.shape, data: res };
}

function convTranspose2d(
  [x, w]: readonly RefValue[],
  { strides: s, pads, group }: OpAttrs['convTranspose2d'],
  out: Tensor,
): RefValue {
  const [n, c, h, wd] = x.shape;
  const [, og, kh, kw] = w.shape;
  const [, o, ho, wo] = out.shape;
  const cg = c / group;
  const res = new Float64Array(size(out.shape));
  for (let b = 0; b < n; b++)
    for (let ci = 0; ci < c; ci++) {
      const gi = Math.floor(ci / cg);
      for (let i = 0; i < h; i++)
        for (let j = 0; j < wd; j++) {
          const xv = x.data[((b * c + ci) * h + i) * wd + j];
          for (let oc = 0; oc < og; oc++)
            for (let u = 0; u < kh; u++)
              for (let v = 0; v < kw; v++) {
                const y = i * s[0] - pads[0] + u;
                const z = j * s[1] - pads[1] + v;
                if (y < 0 || y >= ho || z < 0 || z >= wo) continue;
                res[((b * o + gi * og + oc) * ho + y) * wo + z] +=
                  xv * w.data[((ci * og + oc) * kh + u) * kw + v];
              }
        }
    }
  return { shape: out.shape, data: res };
}

/** Read element `k` of `out` from `x` through an index map (movement ops). */
function gatherBy(x: RefValue, out: Tensor, src: (coord: number[]) => number[] | null): RefValue {
  const os = strides(out.shape);
  const xs = strides(x.shape);
  const res = new Float64Array(size(out.shape));
  const coord = new Array(out.shape.length);
  for (let k = 0; k < res.length; k++) {
    let rem = k;
    for (let i = 0; i < coord.length; i++) {
      coord[i] = Math.floor(rem / os[i]);
      rem -= coord[i] * os[i];
    }
    const mapped = src(coord);
    if (mapped === null) continue;
    let off = 0;
    for (let i = 0; i < mapped.length; i++) off += mapped[i] * xs[i];
    res[k] = x.data[off];
  }
  return { shape: out.shape, data: res };
}

export const REFERENCE: { [K in PrimOp]: Impl<K> } = {
  add: bin((a, b) => a + b),
  sub: bin((a, b) => a - b),
  mul: bin((a, b) => a * b),
  div: bin((a, b) => a / b),
  max: bin((a, b) => Math.max(a, b)),
  min: bin((a, b) => Math.min(a, b)),
  greater: bin((a, b) => +(a > b)),
  equal: bin((a, b) => +(a === b)),
  neg: un((x) => -x),
  exp: un(Math.exp),
  log: un(Math.log),
  sqrt: un(Math.sqrt),
  tanh: un(Math.tanh),
  sigmoid: un((x) => 1 / (1 + Math.exp(-x))),
  softplus: un((x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)))),
  relu: un((x) => Math.max(x, 0)),
  erf: un(erf),
  abs: un(Math.abs),
  gelu: un((x) => 0.5 * x * (1 + erf(x * Math.SQRT1_2))),
  acos: un(Math.acos),
  // float targets keep float64 precision: the oracle models exact arithmetic, not float32 rounding.
  cast: (ins, { to }) =>
    elementwise(ins, to === 'float32' ? (x) => x : to === 'bool' ? (x) => +(x !== 0) : Math.trunc),
  stopGradient: ([x]) => x,
  where: (ins) => elementwise(ins, (c, a, b) => (c ? a : b)),
  matmul,
  conv2d,
  convTranspose2d,
  reduceSum: (ins, at) => reduce(ins, at, 0, (a, b) => a + b),
  reduceMax: (ins, at) => reduce(ins, at, -Infinity, Math.max),
  layerNorm: ([x, g, b], { eps, part }, out) => {
    const d = x.shape[x.shape.length - 1];
    const rows = x.data.length / d;
    const res = new Float64Array(part === 'y' ? x.data.length : rows);
    for (let r = 0; r < rows; r++) {
      let m = 0;
      for (let j = 0; j < d; j++) m += x.data[r * d + j];
      m /= d;
      let v = 0;
      for (let j = 0; j < d; j++) v += (x.data[r * d + j] - m) ** 2;
      const inv = 1 / Math.sqrt(v / d + eps);
      if (part === 'mean') res[r] = m;
      else if (part === 'invStd') res[r] = inv;
      else for (let j = 0; j < d; j++) res[r * d + j] = (x.data[r * d + j] - m) * inv * g.data[j] + b.data[j];
    }
    return { shape: out.shape, data: res };
  },
  batchNorm: ([x, g, b], { eps, part }, out) => {
    const [n, c] = x.shape;
    const inner = x.data.length / (n * c);
    const at = (i: number, ch: number, j: number) => (i * c + ch) * inner + j;
    const res = new Float64Array(part === 'y' ? x.data.length : c);
    for (let ch = 0; ch < c; ch++) {
      let m = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < inner; j++) m += x.data[at(i, ch, j)];
      m /= n * inner;
      let v = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < inner; j++) v += (x.data[at(i, ch, j)] - m) ** 2;
      v /= n * inner;
      if (part === 'mean') res[ch] = m;
      else if (part === 'var') res[ch] = v;
      else {
        const s = g.data[ch] / Math.sqrt(v + eps);
        for (let i = 0; i < n; i++)
          for (let j = 0; j < inner; j++) res[at(i, ch, j)] = (x.data[at(i, ch, j)] - m) * s + b.data[ch];
      }
    }
    return { shape: out.shape, data: res };
  },
  softmax: ([x], { axis }) =>
    lanes(x, axis, (l) => {
      const m = Math.max(...l);
      const e = l.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    }),
  logSoftmax: ([x], { axis }) =>
    lanes(x, axis, (l) => {
      const m = Math.max(...l);
      const lse = m + Math.log(l.reduce((a, v) => a + Math.exp(v - m), 0));
      return l.map((v) => v - lse);
    }),
  reshape: ([x], _a, out) => ({ shape: out.shape, data: x.data }),
  transpose: ([x], { perm }, out) => gatherBy(x, out, (c) => perm.map((_, i) => c[perm.indexOf(i)])),
  expand: ([x], _a, out) => {
    const lead = out.shape.length - x.shape.length;
    return gatherBy(x, out, (c) => x.shape.map((d, i) => (d === 1 ? 0 : c[i + lead])));
  },
  slice: ([x], { axes, starts }, out) => {
    const begin = x.shape.map(() => 0);
    axes.forEach((ax, i) => {
      const d = x.shape[ax];
      begin[ax] = Math.min(Math.max(starts[i] < 0 ? starts[i] + d : starts[i], 0), d);
    });
    return gatherBy(x, out, (c) => c.map((v, i) => v + begin[i]));
  },
  pad: ([x], { pads }, out) =>
    gatherBy(x, out, (c) => {
      const src = c.map((v, i) => v - pads[i]);
      return src.some((v, i) => v < 0 || v >= x.shape[i]) ? null : src;
    }),
  concat: (ins, { axis }, out) => {
    const res = new Float64Array(size(out.shape));
    const outer = size(out.shape.slice(0, axis));
    const inner = size(out.shape.slice(axis + 1));
    let at = 0;
    for (const v of ins) {
      const len = v.shape[axis] * inner;
      for (let o = 0; o < outer; o++)
        res.set(v.data.subarray(o * len, (o + 1) * len), o * out.shape[axis] * inner + at);
      at += len;
    }
    return { shape: out.shape, data: res };
  },
  gather: ([data, idx], _a, out) => {
    const row = size(data.shape.slice(1));
    const res = new Float64Array(size(out.shape));
    for (let i = 0; i < idx.data.length; i++)
      res.set(data.data.subarray(idx.data[i] * row, (idx.data[i] + 1) * row), i * row);
    return { shape: out.shape, data: res };
  },
  scatterAdd: ([idx, upd], { shape }) => {
    const row = size(shape.slice(1));
    const res = new Float64Array(size(shape));
    for (let i = 0; i < idx.data.length; i++)
      for (let j = 0; j < row; j++) res[idx.data[i] * row + j] += upd.data[i * row + j];
    return { shape, data: res };
  },
  topK: ([x], { k, part }, out) => {
    const last = x.shape[x.shape.length - 1];
    const rows = x.data.length / last;
    const res = new Float64Array(rows * k);
    for (let r = 0; r < rows; r++) {
      const order = Array.from({ length: last }, (_, j) => j).sort(
        (a, b) => x.data[r * last + b] - x.data[r * last + a] || a - b,
      );
      for (let j = 0; j < k; j++) res[r * k + j] = part === 'values' ? x.data[r * last + order[j]] : order[j];
    }
    return { shape: out.shape, data: res };
  },
};

/** erf to ~1e-15 (series near 0, continued fraction in the tails). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let sum = ax;
    let term = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz) for large |x|
  let f = ax;
  let c = ax;
  let d = 0;
  for (let n = 1; n < 300; n++) {
    const an = n / 2;
    d = ax + an * d;
    d = 1 / d;
    c = ax + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * f);
  return Math.sign(x) * (1 - erfc);
}

import { compile, constant, defineGraph, input, type Compiled, type Tensor } from '../engine/index.ts';
import { l2Normalize, type Embeddings } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { checkLabels } from './labels.ts';
import type { RldResult } from './rld.ts';

const cache = new Map<string, Promise<Compiled>>();
const once = (key: string, build: () => Promise<Compiled>) => {
  let g = cache.get(key);
  if (!g) cache.set(key, (g = build()));
  return g;
};

/** Scaled distances d_ij = ‖q_i − x_j‖/√D for a chunk of rows, and a mask that is 1 where j is row i itself. */
function chunkDistances(c: number, n: number, d: number) {
  const q = input('q', [c, d]);
  const x = input('x', [n, d]);
  const start = input('start', [], 'int64');
  const qn = q.square().sum(-1, true);
  const xn = x.square().sum(-1).reshape([1, n]);
  const sq = qn
    .add(xn)
    .sub(q.matmul(x, { transB: true }).mul(2))
    .maximum(0);
  const dist = sq.sqrt().mul(1 / Math.sqrt(d)); /* [C, N] */
  const rows = constant(
    BigInt64Array.from({ length: c }, (_, i) => BigInt(i)),
    [c, 1],
    'int64',
  ).add(start);
  const cols = constant(
    BigInt64Array.from({ length: n }, (_, j) => BigInt(j)),
    [1, n],
    'int64',
  );
  const self = rows.eq(cols).cast('float32'); /* [C, N] */
  return { q, x, start, dist, self };
}

/** Pass 1: per-row sum of distances to the others and the nearest other distance. */
const statsGraph = (c: number, n: number, d: number) =>
  once(`rld1:${c}:${n}:${d}`, () => {
    const { q, x, start, dist, self } = chunkDistances(c, n, d);
    return compile(
      defineGraph([q, x, start], {
        rowSum: dist.mul(self.neg().add(1)).sum(-1),
        rowMin: dist.add(self.mul(1e30)).neg().max(-1).neg(),
      }),
    ).then((g) => g);
  });

/** Pass 2: shifted row sums r'_i = Σ_{j≠i} exp(−(d_ij − dmin_i)/(μT)). */
const rowSumGraph = (c: number, n: number, d: number) =>
  once(`rld2:${c}:${n}:${d}`, () => {
    const { q, x, start, dist, self } = chunkDistances(c, n, d);
    const scale = input('scale', []); // 1/(μT)
    const dminQ = input('dminQ', [c]);
    const e = dist
      .sub(dminQ.reshape([c, 1]))
      .mul(scale)
      .neg()
      .exp()
      .mul(self.neg().add(1));
    return compile(defineGraph([q, x, start, scale, dminQ], { r: e.sum(-1) }));
  });

/** Pass 3: degrees k_i = Σ_j W_ij and in-class weight Σ_{j: y_j = y_i} W_ij, W_ij = E'_ij E'_ji / (r'_i r'_j). */
const degreeGraph = (c: number, n: number, d: number) =>
  once(`rld3:${c}:${n}:${d}`, () => {
    const { q, x, start, dist, self } = chunkDistances(c, n, d);
    const scale = input('scale', []);
    const dminQ = input('dminQ', [c]);
    const dminAll = input('dminAll', [n]);
    const rQ = input('rQ', [c]);
    const rAll = input('rAll', [n]);
    const yQ = input('yQ', [c], 'int64');
    const yAll = input('yAll', [n], 'int64');
    const w = dist
      .mul(2)
      .sub(dminQ.reshape([c, 1]))
      .sub(dminAll.reshape([1, n]))
      .mul(scale)
      .neg()
      .exp()
      .mul(self.neg().add(1))
      .div(rQ.reshape([c, 1]).mul(rAll.reshape([1, n])));
    const same: Tensor = yQ
      .reshape([c, 1])
      .eq(yAll.reshape([1, n]))
      .cast('float32');
    return compile(
      defineGraph([q, x, start, scale, dminQ, dminAll, rQ, rAll, yQ, yAll], {
        k: w.sum(-1),
        inClass: w.mul(same).sum(-1),
      }),
    );
  });

/**
 * Relative Local Density (arXiv 2305.10229, methods.md §E.2) computed on ONNX Runtime: every pass is one GEMM
 * for a chunk of rows against all points plus fused elementwise work, so memory is O(chunk·n) and exact for any n.
 * Same definition and row-minimum shift as `relativeLocalDensity` (rld.ts); float32 arithmetic.
 *
 * @example
 * (await relativeLocalDensityOrt(x, y, { temperatures: [1, 0.1] })).rld;
 */
export async function relativeLocalDensityOrt(
  x0: Embeddings,
  labels: ArrayLike<number>,
  opts: { temperatures?: readonly number[]; normalize?: boolean; chunk?: number } = {},
): Promise<RldResult> {
  const temps = [...(opts.temperatures ?? [1, 0.5, 0.1])];
  if (temps.some((t) => !(t > 0))) throw new CladeError(`temperatures must be positive, got [${temps}]`);
  const n = x0.n;
  if (n < 2) throw new CladeError(`RLD needs at least 2 points, got ${n}`);
  checkLabels(labels, n);
  const x = opts.normalize === false ? x0 : l2Normalize(x0);
  const d = x.d;
  const c = Math.max(1, Math.min(n, opts.chunk ?? Math.floor((16 << 20) / n)));
  const yAll = BigInt64Array.from(Array.from(labels, (v) => BigInt(v)));
  const qbuf = new Float32Array(c * d);
  const start = new BigInt64Array(1);
  const chunks = async (f: (s: number, rows: number) => Promise<void>) => {
    for (let s = 0; s < n; s += c) {
      const rows = Math.min(c, n - s);
      qbuf.set(x.data.subarray(s * d, (s + rows) * d));
      if (rows < c) qbuf.fill(0, rows * d);
      start[0] = BigInt(s);
      await f(s, rows);
    }
  };
  const pad = (a: Float32Array, s: number, rows: number) => {
    const out = new Float32Array(c);
    out.set(a.subarray(s, s + rows));
    return out;
  };

  const g1 = await statsGraph(c, n, d);
  let total = 0;
  const dmin = new Float32Array(n);
  await chunks(async (s, rows) => {
    const o = await g1.run({ q: qbuf, x: x.data, start });
    const rs = o.rowSum as Float32Array;
    for (let i = 0; i < rows; i++) total += rs[i];
    dmin.set((o.rowMin as Float32Array).subarray(0, rows), s);
  });
  const mu = total / (n * (n - 1));
  const g2 = await rowSumGraph(c, n, d);
  const g3 = await degreeGraph(c, n, d);
  const rld: number[] = [];
  for (const T of temps) {
    const scale = Float32Array.of(1 / (mu * T));
    const r = new Float32Array(n);
    await chunks(async (s, rows) => {
      const o = await g2.run({ q: qbuf, x: x.data, start, scale, dminQ: pad(dmin, s, rows) });
      r.set((o.r as Float32Array).subarray(0, rows), s);
    });
    const k = new Float64Array(n);
    let inClass = 0;
    await chunks(async (s, rows) => {
      const yQ = new BigInt64Array(c);
      yQ.set(yAll.subarray(s, s + rows));
      const rQ = pad(r, s, rows).map((v, i) => (i < rows ? v : 1));
      const o = await g3.run({
        q: qbuf,
        x: x.data,
        start,
        scale,
        dminQ: pad(dmin, s, rows),
        dminAll: dmin,
        rQ,
        rAll: r,
        yQ,
        yAll,
      });
      const kk = o.k as Float32Array;
      const ic = o.inClass as Float32Array;
      for (let i = 0; i < rows; i++) {
        k[s + i] = kk[i];
        inClass += ic[i];
      }
    });
    let twoM = 0;
    const byClass = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      twoM += k[i];
      byClass.set(labels[i], (byClass.get(labels[i]) ?? 0) + k[i]);
    }
    let sq = 0;
    for (const v of byClass.values()) sq += v * v;
    rld.push(inClass / twoM - sq / (twoM * twoM));
  }
  return { temperatures: temps, rld, meanDistance: mu, n };
}

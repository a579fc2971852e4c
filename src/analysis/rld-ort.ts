import { compile, constant, defineGraph, input, type Compiled, type Tensor } from '../engine/node.ts';
import type { Embeddings } from '../io/embeddings.ts';

const cache = new Map<string, Promise<Compiled>>();
const once = (key: string, build: () => Promise<Compiled>) => {
  let g = cache.get(key);
  if (!g) cache.set(key, (g = build()));
  return g;
};
const BIG = 1e30;

/**
 * Squared scaled distances of a chunk of `c` rows against the `c` "own" keys (whose diagonal is the rows
 * themselves) and the `m = n − c` other keys, each as ONE GEMM of augmented rows:
 * `a_i = [−2 x_i/D, ‖x_i‖²/D, 1/D]`, `b_j = [x_j, 1, ‖x_j‖²]`, so `a_i · b_j = ‖x_i − x_j‖²/D`.
 */
function chunkProducts(c: number, m: number, d2: number) {
  const a = input('a', [c, d2]);
  const own = input('own', [c, d2]);
  const rest = input('rest', [m, d2]);
  const eye = constant(
    Float32Array.from({ length: c * c }, (_, k) => (k % (c + 1) === 0 ? 1 : 0)),
    [c, c],
  );
  return {
    a,
    own,
    rest,
    eye,
    sqOwn: a.matmul(own, { transB: true }) /* [c, c] */,
    sqRest: a.matmul(rest, { transB: true }) /* [c, m] */,
  };
}

/** Pass 1: per row, the sum of distances to the others and the nearest other distance. */
const statsGraph = (c: number, m: number, d2: number) =>
  once(`rld1:${c}:${m}:${d2}`, () => {
    const { a, own, rest, eye, sqOwn, sqRest } = chunkProducts(c, m, d2);
    const nearest = sqOwn.add(eye.mul(BIG)).neg().max(-1).maximum(sqRest.neg().max(-1)).neg().relu().sqrt();
    const rowSum = sqOwn.relu().sqrt().mul(eye.neg().add(1)).sum(-1).add(sqRest.relu().sqrt().sum(-1));
    return compile(defineGraph([a, own, rest], { rowSum, rowMin: nearest }));
  });

/** Pass 2, all temperatures at once: r'_i(T) = Σ_{j≠i} exp(−s_T (d_ij − dmin_i)), s_T = 1/(μT). */
const rowSumGraph = (c: number, m: number, d2: number, nt: number) =>
  once(`rld2:${c}:${m}:${d2}:${nt}`, () => {
    const { a, own, rest, eye, sqOwn, sqRest } = chunkProducts(c, m, d2);
    const negScale = input('negScale', [nt]); // −1/(μT)
    const dminQ = input('dminQ', [c, 1]);
    const pOwn = sqOwn.relu().sqrt().sub(dminQ).add(eye.mul(BIG));
    const pRest = sqRest.relu().sqrt().sub(dminQ);
    const r: Record<string, Tensor> = {};
    for (let t = 0; t < nt; t++) {
      const s = negScale.slice([0], [t], [t + 1]);
      r[`r${t}`] = pOwn.mul(s).exp().sum(-1).add(pRest.mul(s).exp().sum(-1));
    }
    return compile(defineGraph([a, own, rest, negScale, dminQ], r));
  });

/**
 * Pass 3, all temperatures at once: with h_ij = 2 d_ij − dmin_i − dmin_j and u_j = −log r'_j,
 * W_ij · r'_i = exp(−s_T h_ij + u_j) (every exponent ≤ 0); row sums k̃_i and in-class sums.
 */
const degreeGraph = (c: number, m: number, d2: number, nt: number) =>
  once(`rld3:${c}:${m}:${d2}:${nt}`, () => {
    const { a, own, rest, eye, sqOwn, sqRest } = chunkProducts(c, m, d2);
    const negScale = input('negScale', [nt]);
    const dminQ = input('dminQ', [c, 1]);
    const dminOwn = input('dminOwn', [1, c]);
    const dminRest = input('dminRest', [1, m]);
    const uOwn = input('uOwn', [nt, c]);
    const uRest = input('uRest', [nt, m]);
    const yQ = input('yQ', [c, 1], 'int64');
    const yOwn = input('yOwn', [1, c], 'int64');
    const yRest = input('yRest', [1, m], 'int64');
    const dOwn = sqOwn.relu().sqrt();
    const dRest = sqRest.relu().sqrt();
    const hOwn = dOwn.sub(dminQ).add(dOwn.sub(dminOwn)).add(eye.mul(BIG));
    const hRest = dRest.sub(dminQ).add(dRest.sub(dminRest));
    const sameOwn = yQ.eq(yOwn).cast('float32');
    const sameRest = yQ.eq(yRest).cast('float32');
    const out: Record<string, Tensor> = {};
    for (let t = 0; t < nt; t++) {
      const s = negScale.slice([0], [t], [t + 1]);
      const wOwn = hOwn
        .mul(s)
        .add(uOwn.slice([0], [t], [t + 1]))
        .exp();
      const wRest = hRest
        .mul(s)
        .add(uRest.slice([0], [t], [t + 1]))
        .exp();
      out[`k${t}`] = wOwn.sum(-1).add(wRest.sum(-1));
      out[`in${t}`] = wOwn.mul(sameOwn).sum(-1).add(wRest.mul(sameRest).sum(-1));
    }
    return compile(
      defineGraph([a, own, rest, negScale, dminQ, dminOwn, dminRest, uOwn, uRest, yQ, yOwn, yRest], out),
    );
  });

/**
 * The `ort` backend of exact RLD (`relativeLocalDensity`, rld.ts): three passes over chunks of rows on ONNX Runtime,
 * whatever the number of temperatures: (1) μ and each row's nearest distance, (2) the row sums for every T,
 * (3) degrees and in-class weight for every T. Each pass is one compiled graph per chunk: two GEMMs of augmented
 * rows give the squared distances directly, the rest is fused elementwise work in float32, and the self pair sits on
 * the diagonal of the chunk's own `c × c` block (keys are read from a doubled copy of the augmented rows, rotated
 * so the chunk's own rows come first — zero-copy views, no `n × n` mask). Memory is O(chunk · n) plus about three
 * times the input. `x` is already normalised (or not) and the inputs checked by `relativeLocalDensity`.
 */
export async function rldExactOrt(
  x: Embeddings,
  labels: ArrayLike<number>,
  temps: readonly number[],
  opts: { chunk?: number } = {},
): Promise<{ rld: number[]; meanDistance: number }> {
  const n = x.n;
  const d = x.d;
  const d2 = d + 2;
  const nt = temps.length;
  const c = Math.max(1, Math.min(n - 1, opts.chunk ?? Math.floor((16 << 20) / n)));
  const m = n - c;
  // Keys b_j = [x_j, 1, ‖x_j‖²], stored twice so that keys (s .. s+n) mod n are one contiguous view.
  const b2 = new Float32Array(2 * n * d2);
  const sqn = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const v = x.data[i * d + j];
      s += v * v;
      b2[i * d2 + j] = v;
    }
    sqn[i] = s;
    b2[i * d2 + d] = 1;
    b2[i * d2 + d + 1] = s;
  }
  b2.copyWithin(n * d2, 0, n * d2);
  const y2 = new BigInt64Array(2 * n);
  for (let i = 0; i < n; i++) y2[i] = y2[n + i] = BigInt(labels[i]);
  const abuf = new Float32Array(c * d2);
  const yQ = new BigInt64Array(c);
  const chunks = async (
    f: (s: number, rows: number, feeds: Record<string, Float32Array>) => Promise<void>,
  ) => {
    for (let s = 0; s < n; s += c) {
      const rows = Math.min(c, n - s);
      abuf.fill(0);
      for (let i = 0; i < rows; i++) {
        const o = i * d2;
        for (let j = 0; j < d; j++) abuf[o + j] = (-2 / d) * x.data[(s + i) * d + j];
        abuf[o + d] = sqn[s + i] / d;
        abuf[o + d + 1] = 1 / d;
      }
      await f(s, rows, {
        a: abuf,
        own: b2.subarray(s * d2, (s + c) * d2),
        rest: b2.subarray((s + c) * d2, (s + n) * d2),
      });
    }
  };

  const g1 = await statsGraph(c, m, d2);
  let total = 0;
  const dmin = new Float32Array(n);
  const rowSum = new Float32Array(c);
  const rowMin = new Float32Array(c);
  await chunks(async (s, rows, feeds) => {
    await g1.run(feeds, { rowSum, rowMin });
    for (let i = 0; i < rows; i++) total += rowSum[i];
    dmin.set(rowMin.subarray(0, rows), s);
  });
  const mu = total / (n * (n - 1));
  const dmin2 = new Float32Array(2 * n);
  dmin2.set(dmin);
  dmin2.set(dmin, n);
  const dminQ = new Float32Array(c);
  const setQ = (s: number, rows: number) => {
    dminQ.fill(0);
    dminQ.set(dmin.subarray(s, s + rows));
  };
  const negScale = Float32Array.from(temps, (T) => -1 / (mu * T));

  const g2 = await rowSumGraph(c, m, d2, nt);
  const r = temps.map(() => new Float32Array(c));
  const logR = temps.map(() => new Float64Array(n));
  await chunks(async (s, rows, feeds) => {
    setQ(s, rows);
    const into: Record<string, Float32Array> = {};
    r.forEach((v, t) => (into[`r${t}`] = v));
    await g2.run({ ...feeds, negScale, dminQ }, into);
    for (let t = 0; t < nt; t++) for (let i = 0; i < rows; i++) logR[t][s + i] = Math.log(r[t][i]);
  });

  // u_j = −log r'_j, per temperature, doubled like the keys.
  const u2 = new Float32Array(nt * 2 * n);
  for (let t = 0; t < nt; t++)
    for (let j = 0; j < n; j++) u2[t * 2 * n + j] = u2[t * 2 * n + n + j] = -logR[t][j];
  const uOwn = new Float32Array(nt * c);
  const uRest = new Float32Array(nt * m);
  const g3 = await degreeGraph(c, m, d2, nt);
  const k = temps.map(() => new Float64Array(n));
  const inClass = new Float64Array(nt);
  const kOut = temps.map(() => new Float32Array(c));
  const inOut = temps.map(() => new Float32Array(c));
  await chunks(async (s, rows, feeds) => {
    setQ(s, rows);
    yQ.fill(0n);
    yQ.set(y2.subarray(s, s + rows));
    for (let t = 0; t < nt; t++) {
      uOwn.set(u2.subarray(t * 2 * n + s, t * 2 * n + s + c), t * c);
      uRest.set(u2.subarray(t * 2 * n + s + c, t * 2 * n + s + n), t * m);
    }
    const into: Record<string, Float32Array> = {};
    for (let t = 0; t < nt; t++) {
      into[`k${t}`] = kOut[t];
      into[`in${t}`] = inOut[t];
    }
    await g3.run(
      {
        ...feeds,
        negScale,
        dminQ,
        dminOwn: dmin2.subarray(s, s + c),
        dminRest: dmin2.subarray(s + c, s + n),
        uOwn,
        uRest,
        yQ,
        yOwn: y2.subarray(s, s + c),
        yRest: y2.subarray(s + c, s + n),
      },
      into,
    );
    // Undo the row factor: W_ij = exp(−s h_ij + u_j + u_i), u_i = −log r'_i.
    for (let t = 0; t < nt; t++)
      for (let i = 0; i < rows; i++) {
        const f = Math.exp(-logR[t][s + i]);
        k[t][s + i] = kOut[t][i] * f;
        inClass[t] += inOut[t][i] * f;
      }
  });
  const rld = temps.map((_, t) => {
    let twoM = 0;
    const byClass = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      twoM += k[t][i];
      byClass.set(labels[i], (byClass.get(labels[i]) ?? 0) + k[t][i]);
    }
    let sq = 0;
    for (const v of byClass.values()) sq += v * v;
    return inClass[t] / twoM - sq / (twoM * twoM);
  });
  return { rld, meanDistance: mu };
}

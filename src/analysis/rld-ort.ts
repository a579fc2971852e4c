import { compile, defineGraph, input, type Compiled } from '../engine/index.ts';
import type { Embeddings } from '../io/embeddings.ts';
import { l2Normalize } from '../io/embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { checkLabels } from './labels.ts';
import { rowSqNorms } from './kernels.ts';
import { rldFromPairs, type RldOptions, type RldResult } from './rld.ts';

const graphs = new Map<string, Promise<Compiled>>();

/** sims = q · xᵀ for a chunk of rows, one ONNX graph per (chunk, N, D). */
function simsGraph(c: number, n: number, d: number): Promise<Compiled> {
  const key = `${c}x${n}x${d}`;
  let g = graphs.get(key);
  if (!g) {
    const q = input('q', [c, d]);
    const x = input('x', [n, d]);
    g = compile(defineGraph([q, x], { sims: q.matmul(x, { transB: true }) }));
    graphs.set(key, g);
  }
  return g;
}

/**
 * `relativeLocalDensity` with the pairwise products on ONNX Runtime (one GEMM per chunk of rows, MLAS): the packed
 * upper-triangle distances are filled from ORT and the remaining passes (row sums, degrees, modularity) run on
 * them exactly as in the TypeScript version. Needs the packed distances to fit `cacheBytes` (default 256 MiB,
 * n ≤ ~11,500; raise it for larger n — 50,000 points need 5 GB). Same definition and results (float32 products).
 *
 * @example
 * (await relativeLocalDensityOrt(z, y, { temperatures: [1, 0.1] })).rld;
 */
export async function relativeLocalDensityOrt(
  x: Embeddings,
  labels: ArrayLike<number>,
  opts: RldOptions & { chunk?: number } = {},
): Promise<RldResult> {
  const temps = [...(opts.temperatures ?? [1, 0.5, 0.1])];
  if (temps.some((t) => !(t > 0))) throw new CladeError(`temperatures must be positive, got [${temps}]`);
  const n = x.n;
  if (n < 2) throw new CladeError(`RLD needs at least 2 points, got ${n}`);
  const K = checkLabels(labels, n);
  const z = opts.normalize === false ? x : l2Normalize(x);
  const pairs = (n * (n - 1)) / 2;
  const budget = opts.cacheBytes ?? 256 * 2 ** 20;
  if (pairs * 4 > budget)
    throw new CladeError(
      `the ORT front end keeps ${((pairs * 4) / 2 ** 20).toFixed(0)} MiB of packed distances; raise cacheBytes above that or use relativeLocalDensity`,
    );
  const cache = new Float32Array(pairs);
  const rowOff = (i: number) => i * n - (i * (i + 1)) / 2;
  const sq = rowSqNorms(z);
  const d = z.d;
  const chunk = Math.max(1, Math.min(n, opts.chunk ?? Math.floor((16 << 20) / n)));
  const run = await simsGraph(chunk, n, d);
  const qbuf = new Float32Array(chunk * d);
  const sims = new Float32Array(chunk * n);
  const rowMin = new Float64Array(n).fill(Infinity);
  let sum = 0;
  for (let start = 0; start < n; start += chunk) {
    const rows = Math.min(chunk, n - start);
    qbuf.set(z.data.subarray(start * d, (start + rows) * d));
    if (rows < chunk) qbuf.fill(0, rows * d);
    await run.run({ q: qbuf, x: z.data }, { sims });
    for (let r = 0; r < rows; r++) {
      const i = start + r;
      const po = rowOff(i) - i - 1;
      let rm = rowMin[i];
      for (let j = i + 1; j < n; j++) {
        const v2 = sq[i] + sq[j] - 2 * sims[r * n + j];
        const v = Math.sqrt(v2 > 0 ? v2 / d : 0);
        cache[po + j] = v;
        sum += v;
        if (v < rm) rm = v;
        if (v < rowMin[j]) rowMin[j] = v;
      }
      rowMin[i] = rm;
    }
  }
  const mu = sum / pairs;
  if (!(mu > 0)) throw new CladeError('all points coincide (mean distance 0); RLD is undefined');
  const rld = rldFromPairs(
    z,
    labels,
    K,
    temps,
    mu,
    rowMin,
    (fn) => {
      for (let i = 0; i < n - 1; i++)
        fn(i, i + 1, i + 1, n, cache.subarray(rowOff(i), rowOff(i) + n - i - 1));
    },
    opts.shift,
  );
  return { temperatures: temps, rld, meanDistance: mu, n };
}

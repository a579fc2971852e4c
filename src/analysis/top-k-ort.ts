import { compile, defineGraph, input, type Compiled } from '../engine/node.ts';
import type { Embeddings } from '../io/embeddings.ts';
import type { TopK } from './kernels.ts';

const cache = new Map<string, Promise<Compiled>>();

/**
 * sims = q·keysᵀ then TopK along the keys, as one ONNX graph per (chunk, N, D, k) shape. `masked`: a third input
 * `pad` [1, N] is added to the sims first (the engine IVF's padded key blocks, analysis/ivf.ts).
 */
export function topKGraph(
  c: number,
  n: number,
  d: number,
  k: number,
  o: { masked?: boolean } = {},
): Promise<Compiled> {
  const key = `${c}x${n}x${d}k${k}${o.masked ? 'm' : ''}`;
  let g = cache.get(key);
  if (!g) {
    const q = input('q', [c, d]);
    const x = input('x', [n, d]);
    const pad = o.masked ? input('pad', [1, n]) : null;
    const sims = q.matmul(x, { transB: true });
    const { values, indices } = (pad ? sims.add(pad) : sims).topK(k);
    g = compile(defineGraph(pad ? [q, x, pad] : [q, x], { values, indices }));
    cache.set(key, g);
  }
  return g;
}

/**
 * The `ort` backend of `similarityTopK` (top-k.ts). Exact top-k keys by dot product for every query, on ONNX Runtime: each chunk of queries is one GEMM against
 * all keys followed by ORT's TopK, so memory is O(chunk·N) and the work runs in MLAS, not in JavaScript.
 * With `excludeSelf` (queries are the keys), row i never returns key i. Same result layout as
 * the `js` kernel (top-k-js.ts); ties may order differently.
 *
 * @example
 * const nn = await similarityTopKOrt(x, x, 10, { excludeSelf: true }); // x L2-normalised: cosine neighbours
 */
export async function similarityTopKOrt(
  q: Embeddings,
  keys: Embeddings,
  k: number,
  opts: { excludeSelf?: boolean; chunk?: number } = {},
): Promise<TopK> {
  const kk = Math.min(k, keys.n - (opts.excludeSelf ? 1 : 0));
  const kq = Math.min(keys.n, kk + (opts.excludeSelf ? 1 : 0));
  // ~64 MB of similarities per chunk keeps memory bounded whatever N is.
  const chunk = Math.max(1, Math.min(q.n, opts.chunk ?? Math.floor((16 << 20) / keys.n)));
  const run = await topKGraph(chunk, keys.n, keys.d, kq);
  const score = new Float32Array(q.n * kk);
  const index = new Int32Array(q.n * kk);
  const qbuf = new Float32Array(chunk * q.d);
  const vals = new Float32Array(chunk * kq);
  const idx = new BigInt64Array(chunk * kq);
  for (let start = 0; start < q.n; start += chunk) {
    const rows = Math.min(chunk, q.n - start);
    qbuf.set(q.data.subarray(start * q.d, (start + rows) * q.d));
    if (rows < chunk) qbuf.fill(0, rows * q.d);
    await run.run({ q: qbuf, x: keys.data }, { values: vals, indices: idx });
    for (let r = 0; r < rows; r++) {
      const self = start + r;
      let out = 0;
      for (let j = 0; j < kq && out < kk; j++) {
        const id = Number(idx[r * kq + j]);
        if (opts.excludeSelf && id === self) continue;
        score[(start + r) * kk + out] = vals[r * kq + j];
        index[(start + r) * kk + out] = id;
        out++;
      }
    }
  }
  return { k: kk, index, score };
}

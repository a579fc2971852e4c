/**
 * The `js` backend of `similarityTopK` (top-k.ts): exact top-k similarity search in float64, chunked over
 * `forEachTile` tiles with bounded per-row min-heaps.
 */
import type { Embeddings } from '../io/embeddings.ts';
import { forEachTile, type TileOptions, type TopK } from './kernels.ts';

/**
 * Exact top-k keys by dot product for every query, chunked (memory O(N·k + tile)). With `excludeSelf`, query `i`
 * never returns key `i` (for `q === keys`). Ties → lower key index.
 *
 * @example
 * const nn = similarityTopKJs(z, z, 10, { excludeSelf: true }); // self-kNN graph
 */
export function similarityTopKJs(
  q: Embeddings,
  keys: Embeddings,
  k: number,
  opts: TileOptions & { excludeSelf?: boolean; symmetric?: boolean } = {},
): TopK {
  const kk = Math.min(k, keys.n - (opts.excludeSelf ? 1 : 0));
  const hs = new Float64Array(q.n * kk).fill(-Infinity); // min-heaps of scores
  const hi = new Int32Array(q.n * kk).fill(-1);
  const size = new Int32Array(q.n);
  if (q === keys && opts.symmetric !== false) {
    // Self-similarity: visit the upper triangle only and feed each score to both rows (half the products).
    forEachTile(
      q,
      q,
      (i0, i1, j0, j1, t) => {
        const w = j1 - j0;
        for (let i = i0; i < i1; i++) {
          const row = (i - i0) * w;
          for (let j = Math.max(j0, i); j < j1; j++) {
            const s = t[row + j - j0];
            if (j === i) {
              if (!opts.excludeSelf) heapPush(hs, hi, size, kk, i, s, j);
              continue;
            }
            heapPush(hs, hi, size, kk, i, s, j);
            heapPush(hs, hi, size, kk, j, s, i);
          }
        }
      },
      { ...opts, upper: true },
    );
  } else {
    forEachTile(
      q,
      keys,
      (i0, i1, j0, j1, t) => {
        const w = j1 - j0;
        for (let i = i0; i < i1; i++) {
          const row = (i - i0) * w;
          for (let j = j0; j < j1; j++) {
            if (opts.excludeSelf && j === i) continue;
            heapPush(hs, hi, size, kk, i, t[row + j - j0], j);
          }
        }
      },
      opts,
    );
  }
  // Pop each heap (worst first) into its row from the back: best first, ties by lower index, no comparator calls.
  const index = new Int32Array(q.n * kk);
  const score = new Float32Array(q.n * kk);
  for (let i = 0; i < q.n; i++) {
    const base = i * kk;
    for (let sz = size[i]; sz > 0; sz--) {
      index[base + sz - 1] = hi[base];
      score[base + sz - 1] = hs[base];
      const ls = hs[base + sz - 1];
      const li = hi[base + sz - 1];
      if (sz > 1) siftDown(hs, hi, base, sz - 1, ls, li);
    }
  }
  return { k: kk, index, score };
}

/** Offers (s, j) to row `r`'s bounded min-heap; order-independent (score, then lower index, wins). */
function heapPush(
  hs: Float64Array,
  hi: Int32Array,
  size: Int32Array,
  kk: number,
  r: number,
  s: number,
  j: number,
): void {
  const base = r * kk;
  const sz = size[r];
  if (sz < kk) {
    let c = sz;
    size[r] = sz + 1;
    while (c > 0) {
      const p = (c - 1) >> 1;
      if (worse(hs[base + p], hi[base + p], s, j)) break;
      hs[base + c] = hs[base + p];
      hi[base + c] = hi[base + p];
      c = p;
    }
    hs[base + c] = s;
    hi[base + c] = j;
  } else if (s > hs[base] || (s === hs[base] && j < hi[base])) siftDown(hs, hi, base, kk, s, j);
}

/** In the min-heap, (sa, ia) is "worse" (closer to the root) than (sb, ib): lower score, or equal and higher index. */
function worse(sa: number, ia: number, sb: number, ib: number): boolean {
  return sa < sb || (sa === sb && ia > ib);
}

function siftDown(hs: Float64Array, hi: Int32Array, base: number, k: number, s: number, j: number): void {
  let c = 0;
  for (;;) {
    const l = 2 * c + 1;
    if (l >= k) break;
    let m = l;
    const r = l + 1;
    if (r < k && worse(hs[base + r], hi[base + r], hs[base + l], hi[base + l])) m = r;
    if (!worse(hs[base + m], hi[base + m], s, j)) break;
    hs[base + c] = hs[base + m];
    hi[base + c] = hi[base + m];
    c = m;
  }
  hs[base + c] = s;
  hi[base + c] = j;
}

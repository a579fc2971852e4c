import { F, compile, defineGraph, grad, input, type Compiled } from '../engine/node.ts';
import type { Embeddings } from '../io/embeddings.ts';

const cache = new Map<string, Promise<Compiled>>();

/**
 * One chunk of rows: per-row cross-entropy of `x Wᵀ + b` against (smoothed) one-hot labels, and the gradient of
 * `Σ_i rw_i · CE_i` with respect to W and b by the engine's autodiff (one GEMM forward, one `Gemm(transA)` back).
 */
function chunkGraph(rows: number, d: number, c: number, eps: number): Promise<Compiled> {
  const key = `${rows}:${d}:${c}:${eps}`;
  let g = cache.get(key);
  if (!g) {
    const x = input('x', [rows, d]);
    const w = input('w', [c, d]);
    const b = input('b', [c]);
    const y = input('y', [rows], 'int64');
    const rw = input('rw', [rows]);
    let t = F.oneHot(y, c);
    if (eps > 0) t = t.mul(1 - eps).add(eps / c);
    const rowLoss = x
      .matmul(w, { transB: true })
      .add(b.reshape([1, c]))
      .logSoftmax(-1)
      .mul(t)
      .sum(-1)
      .neg(); /* [rows] */
    const [gw, gb] = grad(rowLoss.mul(rw).sum(), [w, b]);
    g = compile(defineGraph([x, w, b, y, rw], { rowLoss, gw, gb }));
    cache.set(key, g);
  }
  return g;
}

/**
 * The multinomial logistic objective of `SoftmaxObjective` (softmax-regression.ts) evaluated on ONNX Runtime:
 * `f(θ) = mean_i CE(W x_i + b, y_i) + (λ/2)‖W‖²`, `θ = [W (C × D, row-major), b (C)]`. Rows are processed in
 * chunks of at most `chunk` (default: about 4 M logits per chunk, so memory is O(chunk · C) whatever N is); each
 * evaluation feeds every chunk of X once, as a zero-copy view of the caller's array (only a ragged last chunk is
 * copied, once, at creation). Products and softmax run in float32 in MLAS; the per-row losses, the chunk
 * gradients and the L2 term are summed in float64 on the host.
 *
 * @example
 * const obj = await SoftmaxObjectiveOrt.create(x, y, 100, 1e-4);
 * const fit = await lbfgs((t, g) => obj.evaluate(t, g), new Float64Array(obj.size));
 */
export class SoftmaxObjectiveOrt {
  private readonly w: Float32Array;
  private readonly b: Float32Array;
  private readonly gw: Float32Array;
  private readonly gb: Float32Array;
  private readonly rowLoss: Float32Array;

  private constructor(
    readonly n: number,
    readonly d: number,
    readonly c: number,
    readonly lambda: number,
    private readonly graph: Compiled,
    private readonly chunks: { x: Float32Array; y: BigInt64Array; rw: Float32Array; rows: number }[],
    rows: number,
  ) {
    this.w = new Float32Array(c * d);
    this.b = new Float32Array(c);
    this.gw = new Float32Array(c * d);
    this.gb = new Float32Array(c);
    this.rowLoss = new Float32Array(rows);
  }

  static async create(
    x: Embeddings,
    y: ArrayLike<number>,
    classes: number,
    lambda: number,
    opts: { labelSmoothing?: number; chunk?: number } = {},
  ): Promise<SoftmaxObjectiveOrt> {
    const { n, d } = x;
    const maxRows = Math.max(1, opts.chunk ?? Math.floor((4 << 20) / Math.max(classes, 1)));
    const count = Math.ceil(n / maxRows);
    const rows = Math.ceil(n / count);
    const graph = await chunkGraph(rows, d, classes, opts.labelSmoothing ?? 0);
    const chunks = [];
    for (let s = 0; s < n; s += rows) {
      const real = Math.min(rows, n - s);
      let xs = x.data.subarray(s * d, (s + real) * d);
      if (real < rows) {
        const padded = new Float32Array(rows * d);
        padded.set(xs);
        xs = padded;
      }
      const ys = new BigInt64Array(rows);
      for (let i = 0; i < real; i++) ys[i] = BigInt(y[s + i]);
      const rw = new Float32Array(rows);
      rw.fill(1 / n, 0, real);
      chunks.push({ x: xs, y: ys, rw, rows: real });
    }
    return new SoftmaxObjectiveOrt(n, d, classes, lambda, graph, chunks, rows);
  }

  get size(): number {
    return this.c * (this.d + 1);
  }

  /** Loss at `theta`, writing the gradient into `grad` (float64, length `size`). */
  async evaluate(theta: Float64Array, grad: Float64Array): Promise<number> {
    const { c, d, lambda } = this;
    const cd = c * d;
    for (let k = 0; k < cd; k++) this.w[k] = theta[k];
    for (let k = 0; k < c; k++) this.b[k] = theta[cd + k];
    grad.fill(0);
    let loss = 0;
    for (const ch of this.chunks) {
      await this.graph.run(
        { x: ch.x, w: this.w, b: this.b, y: ch.y, rw: ch.rw },
        { rowLoss: this.rowLoss, gw: this.gw, gb: this.gb },
      );
      for (let i = 0; i < ch.rows; i++) loss += this.rowLoss[i];
      for (let k = 0; k < cd; k++) grad[k] += this.gw[k];
      for (let k = 0; k < c; k++) grad[cd + k] += this.gb[k];
    }
    let reg = 0;
    for (let k = 0; k < cd; k++) {
      reg += theta[k] * theta[k];
      grad[k] += lambda * theta[k];
    }
    return loss / this.n + 0.5 * lambda * reg;
  }
}

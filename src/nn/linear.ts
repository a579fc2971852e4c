import type { Tensor } from '../engine/tensor.ts';
import type { Rng } from '../util/rng.ts';
import { uniformInit, type HostTensor } from './context.ts';

/** Linear layer parameters: `w` [in, out] (so `x·w` needs no transpose and ORT fuses MatMul+Add into Gemm), `b` [out]. */
export type LinearParams<L = Tensor> = { readonly w: L; readonly b?: L };

export interface LinearOptions {
  /** Add a bias (default true). */
  readonly bias?: boolean;
  /** Init N(0, std²) for the weight instead of PyTorch's U(±1/√in) (the bias is then zero). */
  readonly std?: number;
}

/**
 * y = x·w + b, PyTorch's default init U(±1/√in) for weight and bias.
 *
 * @example
 * const p = linear.init(rng, 784, 10);            // { w: [784, 10], b: [10] }
 * const y = linear.apply(paramInputs(p), x);      // x [B, 784] -> [B, 10]
 */
export const linear = {
  init(rng: Rng, inDim: number, outDim: number, opts: LinearOptions = {}): LinearParams<HostTensor> {
    const w: HostTensor =
      opts.std === undefined
        ? uniformInit(rng, [inDim, outDim], inDim)
        : { shape: [inDim, outDim], data: rng.normalArray(inDim * outDim, opts.std) };
    if (opts.bias === false) return { w };
    const b: HostTensor =
      opts.std === undefined
        ? uniformInit(rng, [outDim], inDim)
        : { shape: [outDim], data: new Float32Array(outDim) };
    return { w, b };
  },

  apply(p: LinearParams, x: Tensor /* [..., in] */): Tensor /* [..., out] */ {
    // Leading axes are flattened so the product is one 2-D GEMM (fused with the bias into Gemm by ORT).
    const [inDim, outDim] = p.w.shape;
    const x2 = x.rank === 2 ? x : x.reshape([x.size / inDim, inDim]);
    const y = p.b ? x2.matmul(p.w).add(p.b) : x2.matmul(p.w);
    return x.rank === 2 ? y : y.reshape([...x.shape.slice(0, -1), outDim]);
  },
};

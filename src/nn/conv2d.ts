import { prim, type Tensor } from '../engine/tensor.ts';
import type { Rng } from '../util/rng.ts';
import { uniformInit, type HostTensor } from './context.ts';

/** Conv2d parameters: `w` [O, C, k, k] (ONNX/PyTorch layout), `b` [O]. */
export type Conv2dParams<L = Tensor> = { readonly w: L; readonly b?: L };

export interface Conv2dOptions {
  readonly stride?: number;
  /** Symmetric zero padding (default 0). */
  readonly padding?: number;
  /** Add a bias (default true; convolutions followed by BatchNorm use false). */
  readonly bias?: boolean;
}

/**
 * 2-D convolution with a square kernel. Init is PyTorch's default kaiming_uniform(a = √5), which is
 * U(±1/√fanIn) with fanIn = C·k·k, for weight and bias.
 *
 * @example
 * const p = conv2d.init(rng, 3, 32, 3);
 * const y = conv2d.apply(paramInputs(p), x, { padding: 1 });   // x [B, 3, 32, 32] -> [B, 32, 32, 32]
 */
export const conv2d = {
  init(
    rng: Rng,
    inChannels: number,
    outChannels: number,
    kernel: number,
    opts: Pick<Conv2dOptions, 'bias'> = {},
  ): Conv2dParams<HostTensor> {
    const fanIn = inChannels * kernel * kernel;
    const w = uniformInit(rng, [outChannels, inChannels, kernel, kernel], fanIn);
    return opts.bias === false ? { w } : { w, b: uniformInit(rng, [outChannels], fanIn) };
  },

  apply(
    p: Conv2dParams,
    x: Tensor /* [B, C, H, W] */,
    opts: Omit<Conv2dOptions, 'bias'> = {},
  ): Tensor /* [B, O, Ho, Wo] */ {
    const s = opts.stride ?? 1;
    const pad = opts.padding ?? 0;
    const attrs = { strides: [s, s] as const, pads: [pad, pad, pad, pad] as const, group: 1 };
    return prim('conv2d', p.b ? [x, p.w, p.b] : [x, p.w], attrs);
  },
};

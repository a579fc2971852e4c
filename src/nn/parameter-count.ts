import { flatten } from '../engine/tree.ts';
import { isBuffer, type HostTensor, type Params } from './context.ts';

const isHost = (x: unknown): boolean =>
  x !== null && typeof x === 'object' && (x as HostTensor).data instanceof Float32Array;

/**
 * Number of trainable values in a parameter tree; buffers (BatchNorm running stats) are left out unless
 * `includeBuffers`. Matches PyTorch's `sum(p.numel() for p in model.parameters())`.
 *
 * @example
 * parameterCount(cifarResNet18({ outDim: 10 }).init(new Rng(0)));   // 11_173_962
 */
export function parameterCount(params: Params, opts: { includeBuffers?: boolean } = {}): number {
  let n = 0;
  for (const [path, h] of flatten<HostTensor>(params, '', isHost))
    if (opts.includeBuffers || !isBuffer(path)) n += h.data.length;
  return n;
}

/**
 * Host parameter trees (`Params`): telling their leaves apart, copying them, listing them by path, and the type
 * of their symbolic twin. Every layer that walks a parameter tree uses these.
 */
import { input, type Tensor } from '../engine/tensor.ts';
import { flatten, mapTree, type Tree, type TreeArray, type TreeRecord } from '../engine/tree.ts';
import type { HostTensor, Params } from './context.ts';

/** A host leaf: `{ shape, data }` with a typed-array `data`. */
export const isHostTensor = (x: unknown): x is HostTensor =>
  x !== null && typeof x === 'object' && 'data' in x && ArrayBuffer.isView((x as HostTensor).data);

/**
 * The symbolic twin of a host parameter-tree type: every `HostTensor` leaf becomes a `Tensor`, a concrete tree
 * keeps its keys (`SymbolicParams<LinearParams<HostTensor>>` is `{ w: Tensor; b?: Tensor }`), and the untyped
 * `Params` becomes `SymParams`. (Like `Symbolic` in context.ts, but the open records and arrays of `Params` map to
 * their `Tensor` twins instead of being expanded without end.)
 */
export type SymbolicParams<P> = P extends HostTensor
  ? Tensor
  : P extends TreeArray<HostTensor>
    ? P extends readonly (infer E)[]
      ? Tree<HostTensor> extends E
        ? TreeArray<Tensor>
        : readonly SymbolicParams<E>[]
      : never
    : string extends keyof P
      ? TreeRecord<Tensor>
      : { readonly [K in keyof P]: SymbolicParams<P[K]> };

/**
 * One symbolic graph input per leaf, named by its dotted path (`image.convs.0.w`), typed as the tree's symbolic
 * twin. (`paramInputs` in context.ts, for any tree type including the untyped `Params`.)
 */
export function symbolicInputs<P extends Params>(params: P, prefix = ''): SymbolicParams<P> {
  const sym = mapTree<HostTensor, Tensor>(params, (h, path) => input(path, h.shape), prefix, isHostTensor);
  return sym as unknown as SymbolicParams<P>;
}

/** A deep copy of a host tree (fresh arrays, same structure and names). */
export function cloneParams<P extends Params>(params: P): P {
  return mapTree<HostTensor, HostTensor>(
    params,
    (h) => ({ shape: [...h.shape], data: h.data.slice() }),
    '',
    isHostTensor,
  ) as P;
}

/** `[path, leaf]` of every host leaf, in the tree's insertion order. */
export function hostLeaves(params: Params, prefix = ''): [string, HostTensor][] {
  return flatten<HostTensor>(params, prefix, isHostTensor);
}

/** `path → data` of every host leaf (graph feeds for parameters named by their paths). */
export function hostFeeds(params: Params): Record<string, Float32Array> {
  return Object.fromEntries(hostLeaves(params).map(([k, v]) => [k, v.data]));
}

/** The graph inputs of a symbolic tree, in the order of its leaves. */
export function symbolicLeaves(sym: Tree<Tensor>): Tensor[] {
  return flatten<Tensor>(sym).map(([, t]) => t);
}

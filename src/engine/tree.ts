/**
 * Parameter trees: nested plain objects whose leaves are values (host arrays, or symbolic tensors while
 * tracing). Dotted paths (`image.blocks.0.attn.qkv.w`) name graph inputs, checkpoint entries and ONNX inputs,
 * so all three line up.
 */
import { Tensor } from './tensor.ts';

export type Tree<T> = T | TreeRecord<T> | TreeArray<T>;
// Interfaces (not inline types) keep the recursive type from being expanded eagerly by the compiler.
export interface TreeRecord<T> {
  readonly [k: string]: Tree<T>;
}
export type TreeArray<T> = ReadonlyArray<Tree<T>>;

function isLeaf<T>(x: Tree<T>, leaf: (x: unknown) => boolean): x is T {
  return leaf(x);
}

const defaultLeaf = (x: unknown): boolean =>
  x === null || typeof x !== 'object' || ArrayBuffer.isView(x) || x instanceof Tensor;

/** Flatten to [path, leaf] pairs in a deterministic (insertion) order. */
export function flatten<T>(tree: Tree<T>, prefix = '', leaf = defaultLeaf): [string, T][] {
  if (isLeaf(tree, leaf)) return [[prefix, tree]];
  const out: [string, T][] = [];
  const entries = Array.isArray(tree)
    ? tree.map((v, i) => [String(i), v] as const)
    : Object.entries(tree as Record<string, Tree<T>>);
  for (const [k, v] of entries) out.push(...flatten(v, prefix ? `${prefix}.${k}` : k, leaf));
  return out;
}

/** Map leaves (with their paths) into a tree of the same structure. */
export function mapTree<T, U>(
  tree: Tree<T>,
  f: (x: T, path: string) => U,
  prefix = '',
  leaf = defaultLeaf,
): Tree<U> {
  if (isLeaf(tree, leaf)) return f(tree, prefix);
  if (Array.isArray(tree))
    return tree.map((v, i) => mapTree(v, f, prefix ? `${prefix}.${i}` : String(i), leaf));
  const out: Record<string, Tree<U>> = {};
  for (const [k, v] of Object.entries(tree as Record<string, Tree<T>>))
    out[k] = mapTree(v, f, prefix ? `${prefix}.${k}` : k, leaf);
  return out;
}

/** Rebuild a tree of the same structure as `like` from a path → value map. */
export function unflattenLike<T, U>(
  like: Tree<T>,
  values: ReadonlyMap<string, U> | Record<string, U>,
  leaf = defaultLeaf,
): Tree<U> {
  const get = (p: string) => (values instanceof Map ? values.get(p) : (values as Record<string, U>)[p]);
  return mapTree(
    like,
    (_x, p) => {
      const v = get(p);
      if (v === undefined) throw new Error(`no value for tree path '${p}'`);
      return v;
    },
    '',
    leaf,
  );
}

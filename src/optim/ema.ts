import type { Tensor } from '../engine/tensor.ts';
import { mapTree, type Tree } from '../engine/tree.ts';

/**
 * Exponential moving average of one tree towards another: t ← m·t + (1−m)·o (BYOL/MoCo/CLIPin targets).
 * Symbolic form, for use inside a step graph; `m` may be a fed scalar so momentum schedules don't rebuild.
 */
export function emaUpdate(target: Tree<Tensor>, online: Tree<Tensor>, m: Tensor | number): Tree<Tensor> {
  const flatOnline = new Map<string, Tensor>();
  mapTree(online, (o, path) => flatOnline.set(path, o));
  return mapTree(target, (t, path) => {
    const o = flatOnline.get(path);
    if (!o) throw new Error(`emaUpdate: online tree has no '${path}'`);
    return typeof m === 'number' ? t.mul(m).add(o.mul(1 - m)) : t.mul(m).add(o.mul(m.neg().add(1)));
  });
}

/** Host form of the same update, in place on `target`. */
export function emaUpdateHost(target: Float32Array, online: Float32Array, m: number): void {
  for (let i = 0; i < target.length; i++) target[i] = m * target[i] + (1 - m) * online[i];
}

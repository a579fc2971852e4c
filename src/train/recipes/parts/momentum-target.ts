/**
 * Momentum (EMA) targets, as MoCo, BYOL and CLIPin keep them: a non-trainable copy of online modules, moved
 * towards them inside the step graph, θ' ← m·θ' + (1 − m)·sg(θ).
 */
import type { Tensor } from '../../../engine/tensor.ts';
import { flatten, mapTree, type Tree } from '../../../engine/tree.ts';
import { isBuffer, type Ctx } from '../../../nn/context.ts';

/**
 * Record the EMA of every target parameter towards the online parameter at the same relative path in
 * `ctx.updates` (the step graph writes them back), and return the moved target tree. BatchNorm running statistics
 * are not averaged: they keep the target's own (its forward updates them from its own batches). The online values
 * are those this step started from (the optimizer's update of them lands in the same graph).
 *
 * MoCo and BYOL run their target forward on the values before the move (ignore the result); CLIPin's code moves
 * the target first and runs it on the moved values (docs/methods.md §D.4).
 */
export function emaTarget<T extends Tree<Tensor>>(target: T, online: Tree<Tensor>, m: number, ctx: Ctx): T {
  const on = new Map(flatten<Tensor>(online));
  const moved = mapTree<Tensor, Tensor>(target, (t, path) => {
    if (isBuffer(path)) return t;
    const o = on.get(path);
    if (!o) throw new Error(`emaTarget: the online tree has no '${path}'`);
    const next = t.mul(m).add(o.stopGradient().mul(1 - m));
    ctx.updates.set(t.name!, next);
    return next;
  });
  return moved as T; // the same tree, leaf for leaf
}

import { topoSort } from '../graph.ts';
import type { PrimOp } from '../ir/ops.ts';
import { fmt } from '../ir/shape.ts';
import { GraphError, scalar, type Tensor } from '../tensor.ts';
import { unbroadcast } from './unbroadcast.ts';
import { VJP, type VjpRule } from './vjp-rules.ts';

/**
 * Reverse-mode autodiff as a graph transform: returns new nodes computing d(loss)/d(w) for each `w`.
 * `loss` must be a scalar unless `seed` (the output cotangent) is given. Inputs with no path to the loss get
 * a zero gradient.
 *
 * @example
 * const [dw] = grad(x.matmul(w).square().sum(), [w]);
 */
export function grad(loss: Tensor, wrt: readonly Tensor[], seed?: Tensor): Tensor[] {
  if (!seed && loss.size !== 1)
    throw new GraphError(`grad: loss must be a scalar, got shape ${fmt(loss.shape)}`);
  const nodes = topoSort([loss]);
  const targets = new Set(wrt);
  const needs = new Set<Tensor>();
  for (const n of nodes) {
    if (n.dtype !== 'float32') continue;
    if (targets.has(n) || (n.op !== 'stopGradient' && n.inputs.some((i) => needs.has(i)))) needs.add(n);
  }
  const cot = new Map<Tensor, Tensor>();
  cot.set(loss, seed ?? scalar(1).expand(loss.shape));
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    const g = cot.get(n);
    if (!g || n.op === 'input' || n.op === 'constant' || !n.inputs.some((i) => needs.has(i))) continue;
    const rule = VJP[n.op] as VjpRule<PrimOp>;
    const gs = rule(
      g,
      n,
      n.inputs,
      n.attrs as never,
      n.inputs.map((i) => needs.has(i)),
    );
    n.inputs.forEach((x, i) => {
      const gi = gs[i];
      if (!gi || !needs.has(x)) return;
      const reduced = unbroadcast(gi, x.shape, n.op);
      const prev = cot.get(x);
      cot.set(x, prev ? accumulate(prev, reduced) : reduced);
    });
  }
  return wrt.map((w) => cot.get(w) ?? scalar(0).expand(w.shape));
}

/**
 * Fan-in: the sum of two cotangents of one tensor. A cotangent that is only an Expand of a reduced one (the
 * gradient of a sum or mean, e.g. BatchNorm's statistics) is added unexpanded, since Add broadcasts: the
 * full-size Expand pass is skipped. Shapes are unchanged because the other term has the full shape.
 */
function accumulate(a: Tensor, b: Tensor): Tensor {
  const thin = (t: Tensor) => (t.op === 'expand' ? t.inputs[0] : t);
  if (a.op === 'expand' && b.op !== 'expand') return b.add(thin(a));
  if (b.op === 'expand' && a.op !== 'expand') return a.add(thin(b));
  return a.add(b);
}

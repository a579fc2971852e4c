import { topoSort } from '../graph.ts';
import type { PrimOp, Shape } from '../ir/ops.ts';
import { fmt, sameShape } from '../ir/shape.ts';
import { GraphError, scalar, type Tensor } from '../tensor.ts';
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
      cot.set(x, prev ? prev.add(reduced) : reduced);
    });
  }
  return wrt.map((w) => cot.get(w) ?? scalar(0).expand(w.shape));
}

/** Sum a cotangent over the axes that broadcasting added or stretched, so it matches `shape`. */
export function unbroadcast(g: Tensor, shape: Shape, op: string): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  if (lead < 0)
    throw new GraphError(`${op}: cotangent ${fmt(g.shape)} has lower rank than input ${fmt(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  const summed = axes.length ? g.sum(axes, true) : g;
  return summed.reshape(shape);
}

import type { Shape } from '../ir/ops.ts';
import { fmt, sameShape } from '../ir/shape.ts';
import { GraphError, type Tensor } from '../tensor.ts';

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

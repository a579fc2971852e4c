import type { Graph } from './graph.ts';
import { size } from './ir/shape.ts';

/** Multiply-add FLOPs (2 per MAC) of the matmuls and convolutions in a graph: the work a step must do. */
export function graphFlops(graph: Graph): number {
  let f = 0;
  for (const n of graph.nodes) {
    if (n.op === 'matmul') {
      const a = n.inputs[0];
      const k = (n.attrs as { transA: boolean }).transA ? a.shape[a.rank - 2] : a.shape[a.rank - 1];
      f += 2 * size(n.shape) * k;
    } else if (n.op === 'conv2d') {
      const w = n.inputs[1];
      f += 2 * size(n.shape) * size(w.shape.slice(1));
    } else if (n.op === 'convTranspose2d') {
      const w = n.inputs[1];
      f += 2 * size(n.inputs[0].shape) * size(w.shape.slice(1));
    }
  }
  return f;
}

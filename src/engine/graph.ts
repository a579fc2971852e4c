import type { Tensor } from './tensor.ts';
import { GraphError } from './tensor.ts';

/** A traced computation: named inputs in a fixed order, named outputs, nodes in topological order. */
export interface Graph {
  readonly inputs: readonly Tensor[];
  readonly outputs: Readonly<Record<string, Tensor>>;
  readonly nodes: readonly Tensor[];
}

/**
 * Close a traced computation over its inputs.
 *
 * @example
 * const x = input('x', [4, 3]);
 * const g = defineGraph([x], { y: x.exp().sum() });
 */
export function defineGraph(inputs: readonly Tensor[], outputs: Record<string, Tensor>): Graph {
  const names = new Set<string>();
  for (const t of inputs) {
    if (t.op !== 'input' || !t.name) throw new GraphError(`graph inputs must be input() tensors, got ${t}`);
    if (names.has(t.name)) throw new GraphError(`duplicate graph input name '${t.name}'`);
    names.add(t.name);
  }
  for (const o of Object.keys(outputs))
    if (names.has(o)) throw new GraphError(`output name '${o}' is also an input name`);
  const nodes = topoSort(Object.values(outputs));
  const declared = new Set(inputs);
  for (const n of nodes) {
    if (n.op === 'input' && !declared.has(n))
      throw new GraphError(`the graph uses input '${n.name}' which is not in its input list`);
  }
  return { inputs, outputs, nodes };
}

/** All nodes reachable from `roots`, each after its inputs (iterative DFS; graphs can be deep). */
export function topoSort(roots: readonly Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  const state = new Map<Tensor, 1 | 2>();
  const stack: [Tensor, number][] = roots.map((r) => [r, 0]);
  stack.reverse();
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    if (i === 0) {
      if (state.get(t) === 2) {
        stack.pop();
        continue;
      }
      state.set(t, 1);
    }
    if (i < t.inputs.length) {
      top[1] = i + 1;
      const child = t.inputs[i];
      if (!state.has(child)) stack.push([child, 0]);
    } else {
      stack.pop();
      if (state.get(t) !== 2) {
        state.set(t, 2);
        order.push(t);
      }
    }
  }
  return order;
}

import { grad } from '../../engine/autodiff/backward.ts';
import { defineGraph } from '../../engine/graph.ts';
import { compile, type HostArray } from '../../engine/node.ts';
import { evaluate } from '../../engine/runtime/reference.ts';
import { constant, type Tensor } from '../../engine/tensor.ts';
import { Rng } from '../../util/rng.ts';
import { maxRelDiff } from './feeds.ts';

/**
 * Run `outputs` — plus, when `wrt` is given, the gradients of Σ out ⊙ R (fixed random R) for the first output
 * — on ONNX Runtime and on the float64 reference; returns the worst relative difference per output name.
 *
 * @example
 * const diffs = await ortVsReference([x, ...leaves(p)], { y }, feeds, leaves(p));
 * // every value of `diffs` should be < 1e-4
 */
export async function ortVsReference(
  inputs: readonly Tensor[],
  outputs: Record<string, Tensor>,
  feeds: Record<string, HostArray>,
  wrt: readonly Tensor[] = [],
): Promise<Record<string, number>> {
  const all = { ...outputs };
  if (wrt.length) {
    const out = Object.values(outputs)[0];
    const r = constant(new Rng(17).normalArray(out.size), out.shape);
    grad(out.mul(r).sum(), wrt).forEach((g, i) => (all[`grad.${wrt[i].name}`] = g));
  }
  const graph = defineGraph(inputs, all);
  const ref = evaluate(graph, feeds);
  const got = await (await compile(graph)).run(feeds);
  return Object.fromEntries(
    Object.keys(all).map((k) => [k, maxRelDiff(got[k] as Float32Array, ref[k].data)]),
  );
}

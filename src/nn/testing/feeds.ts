/**
 * Test feeds: host parameter trees and random data turned into the name → array maps that the float64
 * reference interpreter and ONNX Runtime take.
 */
import { defineGraph } from '../../engine/graph.ts';
import { evaluate, type RefValue } from '../../engine/runtime/reference.ts';
import type { HostArray } from '../../engine/runtime/ort.ts';
import type { Tensor } from '../../engine/tensor.ts';
import { flatten } from '../../engine/tree.ts';
import type { Rng } from '../../util/rng.ts';
import type { HostTensor, Params, SymParams } from '../context.ts';

const isHost = (x: unknown): boolean =>
  x !== null && typeof x === 'object' && (x as HostTensor).data instanceof Float32Array;

/** One feed per parameter leaf, named by its dotted path (as `paramInputs` names the graph inputs). */
export function paramFeeds(params: Params, prefix = ''): Record<string, Float32Array> {
  return Object.fromEntries(flatten<HostTensor>(params, prefix, isHost).map(([k, h]) => [k, h.data]));
}

/**
 * Random feeds for graph inputs: float32 ~ N(0, 1) (or U(0.5, 2.5) when `positive` names them),
 * int64 uniform in [0, intRange).
 */
export function randomFeeds(
  inputs: readonly Tensor[],
  rng: Rng,
  opts: { intRange?: number; positive?: readonly string[] } = {},
): Record<string, HostArray> {
  const out: Record<string, HostArray> = {};
  for (const t of inputs) {
    if (t.dtype === 'int64')
      out[t.name!] = BigInt64Array.from({ length: t.size }, () => BigInt(rng.int(opts.intRange ?? 2)));
    else if (opts.positive?.includes(t.name!))
      out[t.name!] = Float32Array.from({ length: t.size }, () => 0.5 + 2 * rng.float());
    else out[t.name!] = rng.normalArray(t.size);
  }
  return out;
}

/** Largest |a − b| relative to max(|b|, floor) over all entries. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  if (a.length !== b.length) throw new Error(`maxRelDiff: lengths ${a.length} and ${b.length}`);
  let worst = 0;
  let scale = floor;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return worst / scale;
}

/** The symbolic leaves of a parameter tree in path order (graph inputs for `defineGraph`). */
export function leaves(tree: SymParams): Tensor[] {
  return flatten<Tensor>(tree).map(([, t]) => t);
}

/** Evaluate `outputs` over `inputs` with the float64 reference interpreter. */
export function runReference(
  inputs: readonly Tensor[],
  outputs: Record<string, Tensor>,
  feeds: Record<string, HostArray>,
): Record<string, RefValue> {
  return evaluate(defineGraph(inputs, outputs), feeds);
}

import { evaluate, type Graph } from '../engine/index.ts';
import { CladeError } from '../util/errors.ts';

/**
 * Where an analysis runs: `ort` (default) — ONNX Runtime graphs compiled by the engine (float32 products in MLAS,
 * multithreaded); `js` — the float64 TypeScript reference (plain kernels, or the engine's reference interpreter
 * for graph-based heads). Every metric takes the same option; tests hold the two to agreed tolerances.
 */
export type Backend = 'ort' | 'js';

/** The backend named by `b` (default `ort`); anything else is a clear error. */
export function backendOf(b: Backend | undefined): Backend {
  const v = b ?? 'ort';
  if (v !== 'ort' && v !== 'js')
    throw new CladeError(`unknown backend '${String(v)}'; expected 'ort' or 'js'`);
  return v;
}

/** Host arrays a graph runner takes: float inputs as float32 (ORT) or float64 (reference), int64 as BigInt64. */
export type Feed = Float32Array | Float64Array | BigInt64Array;

/** A traced graph ready to run on one backend. Outputs are float32 (`ort`) or float64 (`js`). */
export interface GraphRunner {
  run(feeds: Readonly<Record<string, Feed>>): Promise<Record<string, Float32Array | Float64Array>>;
}

/**
 * Prepares `graph` for a backend: `ort` compiles it (the Node entry is loaded on first use, so importing the
 * analysis layer never loads the native runtime); `js` evaluates it with the engine's float64 reference
 * interpreter (slow by design: small inputs, tests).
 *
 * @example
 * const r = await graphRunner(defineGraph([x], { y: x.exp() }), 'js');
 * (await r.run({ x: Float64Array.of(0, 1) })).y; // Float64Array [1, e]
 */
export async function graphRunner(graph: Graph, backend: Backend = 'ort'): Promise<GraphRunner> {
  if (backendOf(backend) === 'js')
    return {
      run: async (feeds) => {
        const out = evaluate(graph, feeds as Record<string, ArrayLike<number | bigint>>);
        return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data]));
      },
    };
  const { compile } = await import('../engine/node.ts');
  const compiled = await compile(graph);
  return {
    run: async (feeds) => {
      const f: Record<string, Float32Array | BigInt64Array> = {};
      for (const [k, v] of Object.entries(feeds)) f[k] = v instanceof Float64Array ? Float32Array.from(v) : v;
      return (await compiled.run(f)) as Record<string, Float32Array>;
    },
  };
}

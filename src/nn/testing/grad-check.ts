/**
 * Gradient checks for modules: analytic gradients from the engine's autodiff, evaluated by the float64
 * reference interpreter, against central finite differences of the same interpreter.
 */
import { grad } from '../../engine/autodiff/backward.ts';
import { defineGraph } from '../../engine/graph.ts';
import { evaluate } from '../../engine/runtime/reference.ts';
import type { HostArray } from '../../engine/runtime/ort.ts';
import { constant, type Tensor } from '../../engine/tensor.ts';
import { Rng } from '../../util/rng.ts';

export interface GradCheckOptions {
  /** Finite-difference coordinates sampled per input (all when the input is smaller). Default 8. */
  readonly samples?: number;
  readonly eps?: number;
  readonly seed?: number;
}

/** Worst error per checked input: max |numeric − analytic| / max(1e-3, max |analytic|). */
export type GradCheckReport = Record<string, number>;

/**
 * Check d(loss)/d(wrt) where loss = Σ out ⊙ R for a fixed random R, so every output entry matters.
 *
 * @example
 * const x = input('x', [2, 3]);
 * const p = paramInputs(linear.init(rng, 3, 4));
 * const report = gradCheck([x, ...leaves(p)], linear.apply(p, x), feeds);
 * // every value of `report` should be < 1e-6
 */
export function gradCheck(
  inputs: readonly Tensor[],
  out: Tensor,
  feeds: Record<string, HostArray>,
  wrt: readonly Tensor[] = inputs.filter((t) => t.dtype === 'float32'),
  opts: GradCheckOptions = {},
): GradCheckReport {
  const rng = new Rng(opts.seed ?? 5);
  const eps = opts.eps ?? 1e-6;
  const loss = out.mul(constant(rng.normalArray(out.size), out.shape)).sum();
  const grads = grad(loss, wrt);
  const analytic = evaluate(
    defineGraph(inputs, Object.fromEntries(grads.map((g, i) => [`g${i}`, g]))),
    feeds,
  );
  const lossGraph = defineGraph(inputs, { loss });
  const f64: Record<string, Float64Array> = Object.fromEntries(
    Object.entries(feeds).map(([k, v]) => [k, Float64Array.from(v as ArrayLike<number>, Number)]),
  );
  const evalLoss = () => evaluate(lossGraph, f64).loss.data[0];
  const report: GradCheckReport = {};
  wrt.forEach((t, i) => {
    const x = f64[t.name!];
    const a = analytic[`g${i}`].data;
    const n = x.length;
    const picks =
      n <= (opts.samples ?? 8)
        ? [...Array(n).keys()]
        : Array.from({ length: opts.samples ?? 8 }, () => rng.int(n));
    let scale = 1e-3;
    for (const v of a) scale = Math.max(scale, Math.abs(v));
    let worst = 0;
    for (const j of picks) {
      const keep = x[j];
      x[j] = keep + eps;
      const up = evalLoss();
      x[j] = keep - eps;
      const dn = evalLoss();
      x[j] = keep;
      worst = Math.max(worst, Math.abs((up - dn) / (2 * eps) - a[j]));
    }
    report[t.name!] = worst / scale;
  });
  return report;
}

import { defineGraph, grad, input, type DType, type Tensor } from '../engine/index.ts';
import type { Optimizer } from '../optim/types.ts';
import { CladeError } from '../util/errors.ts';
import { backendOf, graphRunner, type Backend, type Feed, type GraphRunner } from './backend.ts';

/** Host values of a parameter or state tensor: float32 on `ort`, float64 on `js`. */
export type HostFloats = Float32Array | Float64Array;

export interface FullBatchSpec {
  /** Initial parameter values by name (all trained). */
  readonly params: Readonly<
    Record<string, { readonly shape: readonly number[]; readonly data: ArrayLike<number> }>
  >;
  /** Inputs fed at every step (features, labels, masks), by name. */
  readonly inputs: Readonly<Record<string, { readonly shape: readonly number[]; readonly dtype?: DType }>>;
  /** Scalar loss at the current parameters, and any outputs to return with it (computed before the update). */
  readonly loss: (
    p: Readonly<Record<string, Tensor>>,
    x: Readonly<Record<string, Tensor>>,
  ) => { loss: Tensor; outputs?: Record<string, Tensor> };
  /** An in-graph optimizer from `src/optim` (e.g. `adamw()`). */
  readonly optimizer: Optimizer;
  /** Which parameters get weight decay (default all, as `torch.optim.AdamW(model.parameters())`). */
  readonly decay?: (name: string) => boolean;
  /** `ort` (default): the step graph runs on ONNX Runtime in float32; `js`: the engine's float64 interpreter. */
  readonly backend?: Backend;
}

/**
 * Full-batch training of a small model for the analysis heads (linear head, graph head): the loss, its gradient by
 * the engine's `grad` and the optimizer update are one traced graph, `(params, state, scalars, inputs) → (loss,
 * outputs, params', state')`, run on the chosen backend; parameters and optimizer state stay on the host between
 * steps.
 *
 * @example
 * const fit = await FullBatchFit.create({ params: { w: { shape: [d, c], data: w0 } }, inputs: { x: { shape: [n, d] },
 *   y: { shape: [n], dtype: 'int64' } }, loss: (p, b) => ({ loss: F.crossEntropy(b.x.matmul(p.w), b.y) }),
 *   optimizer: adamw() });
 * const { loss } = await fit.step({ x, y }, 0.1);
 */
export class FullBatchFit {
  /** Optimizer steps taken so far. */
  t = 0;
  private constructor(
    private readonly spec: FullBatchSpec,
    private readonly runner: GraphRunner,
    private readonly float: (v: ArrayLike<number>) => HostFloats,
    private readonly state: Map<string, HostFloats>,
    private readonly outputNames: readonly string[],
  ) {}

  static async create(spec: FullBatchSpec): Promise<FullBatchFit> {
    const backend = backendOf(spec.backend);
    const float = (v: ArrayLike<number>): HostFloats =>
      backend === 'js' ? Float64Array.from(v) : Float32Array.from(v);
    const { optimizer } = spec;
    const params: Record<string, Tensor> = {};
    const data: Record<string, Tensor> = {};
    const scalars: Record<string, Tensor> = {};
    const state = new Map<string, HostFloats>();
    for (const [k, v] of Object.entries(spec.params)) {
      params[k] = input(`p.${k}`, v.shape);
      state.set(`p.${k}`, float(v.data));
      for (const s of optimizer.slots) state.set(`s.${k}.${s}`, float(new Float64Array(v.data.length)));
    }
    for (const [k, v] of Object.entries(spec.inputs)) data[k] = input(k, v.shape, v.dtype ?? 'float32');
    for (const s of optimizer.scalarNames) scalars[s] = input(`opt.${s}`, []);
    const { loss, outputs = {} } = spec.loss(params, data);
    if (loss.size !== 1) throw new CladeError(`the loss must be a scalar, got shape [${loss.shape}]`);
    const names = Object.keys(params);
    const grads = grad(
      loss,
      names.map((k) => params[k]),
    );
    const out: Record<string, Tensor> = { loss };
    for (const [k, t] of Object.entries(outputs)) out[`out.${k}`] = t;
    const stateIns: Tensor[] = [];
    names.forEach((k, i) => {
      const slots = Object.fromEntries(
        optimizer.slots.map((s) => [s, input(`s.${k}.${s}`, params[k].shape)]),
      );
      stateIns.push(...Object.values(slots));
      const decay = spec.decay ? spec.decay(k) : true;
      const r = optimizer.update(params[k], grads[i], slots, scalars, decay);
      out[`next.p.${k}`] = r.p;
      for (const s of optimizer.slots) out[`next.s.${k}.${s}`] = r.state[s];
    });
    const graph = defineGraph(
      [...Object.values(params), ...stateIns, ...Object.values(scalars), ...Object.values(data)],
      out,
    );
    const runner = await graphRunner(graph, backend);
    return new FullBatchFit(spec, runner, float, state, Object.keys(outputs));
  }

  /** One optimizer step at learning rate `lr`: returns the loss and outputs at the parameters before the update. */
  async step(
    inputs: Readonly<Record<string, Feed>>,
    lr: number,
  ): Promise<{ loss: number; outputs: Record<string, HostFloats> }> {
    const t = this.t + 1;
    const feeds: Record<string, Feed> = { ...inputs };
    for (const [k, v] of this.state) feeds[k] = v;
    for (const [k, v] of Object.entries(this.spec.optimizer.scalars(t, lr)))
      feeds[`opt.${k}`] = this.float([v]);
    const r = await this.runner.run(feeds);
    const loss = r.loss[0];
    if (!Number.isFinite(loss))
      throw new CladeError(`loss is ${loss} at step ${t}; parameters were not updated`);
    for (const k of this.state.keys()) this.state.set(k, r[`next.${k}`]);
    this.t = t;
    return { loss, outputs: Object.fromEntries(this.outputNames.map((k) => [k, r[`out.${k}`]])) };
  }

  /** Current value of parameter `name` (the live array; copy it to keep a snapshot). */
  param(name: string): HostFloats {
    const v = this.state.get(`p.${name}`);
    if (!v) throw new CladeError(`no parameter '${name}'`);
    return v;
  }

  /** Current parameters by name (copies). */
  params(): Record<string, HostFloats> {
    return Object.fromEntries(Object.keys(this.spec.params).map((k) => [k, this.param(k).slice()]));
  }
}

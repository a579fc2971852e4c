import { grad } from '../engine/autodiff/backward.ts';
import { defineGraph, type Graph } from '../engine/graph.ts';
import type { DType } from '../engine/ir/ops.ts';
import { compile, type Compiled, type HostArray } from '../engine/node.ts';
import { input, type Tensor } from '../engine/tensor.ts';
import { unflattenLike } from '../engine/tree.ts';
import { Ctx, isBuffer, sampleDropoutMask, type HostTensor, type Params } from '../nn/context.ts';
import { hostLeaves, isHostTensor, type SymbolicParams } from '../nn/param-tree.ts';
import { clipGlobalNorm } from '../optim/clip.ts';
import { decays, type Optimizer } from '../optim/types.ts';
import { CladeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';

export interface BatchSpec {
  readonly shape: readonly number[];
  readonly dtype?: DType;
}
export interface LossOutput {
  readonly loss: Tensor;
  readonly metrics?: Readonly<Record<string, Tensor>>;
}
export type LossFn<P extends Params = Params> = (
  p: SymbolicParams<P>,
  batch: Readonly<Record<string, Tensor>>,
  ctx: Ctx,
) => LossOutput;

/** One training step: parameters `P` (host tree), the batch it takes, its loss and how it updates. */
export interface StepSpec<P extends Params = Params> {
  readonly params: P;
  readonly batch: Readonly<Record<string, BatchSpec>>;
  readonly loss: LossFn<P>;
  readonly optimizer: Optimizer;
  /** Global-norm clipping threshold (none when absent). */
  readonly clipNorm?: number;
  /** Which parameters the optimizer updates (default: all but buffers). Others pass through unchanged unless the loss updates them via `ctx.updates` (EMA targets, BatchNorm stats). */
  readonly trainable?: (path: string) => boolean;
  /** Weight-decay group rule (default: rank ≥ 2 and not a scale/temperature). */
  readonly decay?: (path: string, shape: readonly number[]) => boolean;
  /**
   * Learning-rate multiplier of each trained parameter (default 1), e.g. layer-wise LR decay: a constant of the
   * graph, applied by the optimizer's update as a parameter group at lr·scale would be.
   */
  readonly lrScale?: (path: string, shape: readonly number[]) => number;
  /** Clamp after the update, e.g. logit scale to [0, ln 100] (CLIP) or λ to [0, 20] (CLIPin). */
  readonly clamp?: (path: string) => readonly [number, number] | undefined;
  /** Seed for the step's own random inputs (dropout masks). */
  readonly seed?: number;
  /**
   * Gradient accumulation: average the gradients of this many consecutive `run` calls (micro-batches) before one
   * optimizer update. The running sum is a state slot, so checkpoints taken mid-accumulation resume exactly.
   */
  readonly accumulate?: number;
  /**
   * Unroll: this many consecutive optimizer steps in one graph, run by `runSteps` with as many batches and
   * learning rates. Parameters and optimizer state then cross between JS and ONNX Runtime once per group instead
   * of once per step (each crossing copies them, engine guide §5), which pays off for models with many
   * parameters and little compute per step. Not combinable with `accumulate`.
   */
  readonly unroll?: number;
}

export interface StepResult {
  readonly loss: number;
  readonly metrics: Record<string, number>;
}

/** A non-finite loss: the step names itself; parameters keep their last good values. */
export class NonFiniteLossError extends CladeError {
  constructor(
    readonly step: number,
    value: number,
  ) {
    super(`loss is ${value} at step ${step}; parameters were not updated`, { step });
  }
}

interface Slot {
  readonly name: string; // graph input name
  readonly out: string; // graph output name for its next value
  bufs: [Float32Array, Float32Array];
  /** The buffers hold `scale` × the slot's value (`Optimizer.slotScale`); 1 for everything else. */
  readonly scale: number;
}

/**
 * One training step as ONE ONNX graph: forward, backward, clipping, optimizer update, buffer/EMA updates and
 * metrics. Parameters and optimizer state cycle between two preallocated host buffer sets (ORT writes the next
 * values into the set not being read), and the learning rate and bias corrections are fed scalars.
 *
 * @example
 * const step = await TrainStep.create({ params, batch: { x: { shape: [B, 784] }, y: { shape: [B], dtype: 'int64' } },
 *   loss: (p, b) => ({ loss: F.crossEntropy(mlp.apply(p, b.x), b.y) }), optimizer: adamw() });
 * const { loss } = await step.run({ x, y }, 1e-3);
 */
export class TrainStep<P extends Params = Params> {
  /** Optimizer steps taken so far (1-based count of the next step is `t + 1`). */
  t = 0;
  rng: Rng;
  private cur = 0;

  private constructor(
    readonly spec: StepSpec<P>,
    readonly graph: Graph,
    readonly compiled: Compiled,
    private readonly slots: Slot[],
    private readonly randomInputs: Ctx['randomInputs'],
    private readonly metricNames: string[],
  ) {
    this.rng = new Rng(spec.seed ?? 0);
  }

  static async create<P extends Params>(spec: StepSpec<P>): Promise<TrainStep<P>> {
    const { graph, slots, randomInputs, metricNames } = traceStep(spec);
    return new TrainStep<P>(spec, graph, await compile(graph), slots, randomInputs, metricNames);
  }

  /** Micro-batches already summed into the accumulator (0 when not accumulating). */
  micro = 0;

  /** Optimizer steps per `runSteps` call (`StepSpec.unroll`, default 1). */
  get unroll(): number {
    return this.spec.unroll ?? 1;
  }

  /**
   * Run one step (or one micro-batch, when accumulating) at learning rate `lr`. Throws NonFiniteLossError
   * (without updating anything) on a NaN/Inf loss. `t` advances when the optimizer actually updates.
   */
  async run(batch: Readonly<Record<string, HostArray>>, lr: number): Promise<StepResult> {
    if (this.unroll !== 1)
      throw new CladeError(
        `this step is unrolled over ${this.unroll} steps: call runSteps with that many batches`,
      );
    const k = this.spec.accumulate ?? 1;
    const applying = this.micro + 1 >= k;
    const [res] = await this.exec(
      [batch],
      [lr],
      k > 1 ? { 'opt.apply': Float32Array.of(applying ? 1 : 0) } : {},
    );
    if (applying) {
      this.t++;
      this.micro = 0;
    } else this.micro++;
    return res;
  }

  /**
   * Run `unroll` consecutive optimizer steps, step i on `batches[i]` at learning rate `lrs[i]`, in one graph
   * run. A NaN/Inf loss at any of them throws NonFiniteLossError naming that step, and none of the group's
   * updates is kept.
   */
  async runSteps(
    batches: readonly Readonly<Record<string, HostArray>>[],
    lrs: readonly number[],
  ): Promise<StepResult[]> {
    if (batches.length !== this.unroll || lrs.length !== this.unroll)
      throw new CladeError(
        `runSteps takes ${this.unroll} batches and learning rates (the step's unroll), got ${batches.length} and ${lrs.length}`,
      );
    const res = await this.exec(batches, lrs, {});
    this.t += this.unroll;
    return res;
  }

  /** Feed step i's batch, optimizer scalars and dropout masks under the names `unrolledName(·, i)`; swap buffers. */
  private async exec(
    batches: readonly Readonly<Record<string, HostArray>>[],
    lrs: readonly number[],
    extra: Record<string, HostArray>,
  ): Promise<StepResult[]> {
    const feeds: Record<string, HostArray> = { ...extra };
    const into: Record<string, HostArray> = {};
    for (const s of this.slots) {
      feeds[s.name] = s.bufs[this.cur];
      if (s.out) into[s.out] = s.bufs[1 - this.cur];
    }
    batches.forEach((batch, i) => {
      for (const [k, v] of Object.entries(batch)) feeds[unrolledName(k, i)] = v;
      const sc = this.spec.optimizer.scalars(this.t + 1 + i, lrs[i]);
      for (const n of this.spec.optimizer.scalarNames)
        feeds[unrolledName(`opt.${n}`, i)] = Float32Array.of(sc[n]);
    });
    for (const r of this.randomInputs)
      feeds[r.tensor.name!] = sampleDropoutMask(r.tensor.size, r.p, this.rng);
    const out = await this.compiled.run(feeds, into);
    const res = batches.map((_, i) => {
      const loss = (out[unrolledName('loss', i)] as Float32Array)[0];
      const metrics: Record<string, number> = {};
      for (const m of this.metricNames) metrics[m] = (out[unrolledName(`metric.${m}`, i)] as Float32Array)[0];
      return { loss, metrics };
    });
    const bad = res.findIndex((r) => !Number.isFinite(r.loss));
    if (bad >= 0) throw new NonFiniteLossError(this.t + 1 + bad, res[bad].loss);
    this.cur = 1 - this.cur;
    return res;
  }

  /**
   * Current values of every state slot (parameters, buffers, optimizer state) by graph name: views of the live
   * buffers, except slots the optimizer carries scaled (`Optimizer.slotScale`), which come back as unscaled copies.
   */
  state(): Map<string, HostTensor> {
    const held = this.heldState().tensors;
    const m = new Map<string, HostTensor>();
    for (const { name, scale } of this.slots) {
      const t = held.get(name)!;
      m.set(name, scale === 1 ? t : { shape: t.shape, data: t.data.map((x) => x / scale) });
    }
    return m;
  }

  /**
   * The slots exactly as the graph holds them (views of the live buffers) and the scale of each scaled one:
   * what a checkpoint stores, so a resumed run continues bit for bit.
   */
  heldState(): { tensors: Map<string, HostTensor>; scales: Record<string, number> } {
    const tensors = new Map<string, HostTensor>();
    const scales: Record<string, number> = {};
    for (const s of this.slots) {
      const t = this.graph.inputs.find((i) => i.name === s.name)!;
      tensors.set(s.name, { shape: t.shape, data: s.bufs[this.cur] });
      if (s.scale !== 1) scales[s.name] = s.scale;
    }
    return { tensors, scales };
  }

  /** Current parameters (and buffers) as a tree shaped like the initial one (copies). */
  params(): P {
    const st = this.state();
    return unflattenLike(
      this.spec.params,
      new Map([...st].map(([k, v]) => [k, { shape: v.shape, data: v.data.slice() }])),
      isHostTensor,
    ) as P;
  }

  /**
   * Overwrite state slots (resume from a checkpoint). Every name must exist with the same size. `scales[name]` is
   * the scale a given tensor carries (absent: 1, the textbook value, as `state()` returns); values are rescaled to
   * the slot's own scale, and copied unchanged when the two agree (`heldState()` round-trips exactly).
   */
  load(values: ReadonlyMap<string, HostTensor>, scales: Readonly<Record<string, number>> = {}): void {
    for (const s of this.slots) {
      const v = values.get(s.name);
      if (!v) continue;
      if (v.data.length !== s.bufs[this.cur].length)
        throw new CladeError(`size ${v.data.length}, expected ${s.bufs[this.cur].length}`, {
          tensor: s.name,
        });
      const buf = s.bufs[this.cur];
      buf.set(v.data);
      const from = scales[s.name] ?? 1;
      if (from !== s.scale) for (let i = 0; i < buf.length; i++) buf[i] = (buf[i] / from) * s.scale;
    }
  }

  setRngState(words: number[]): void {
    this.rng = new Rng(words);
  }

  slotNames(): string[] {
    return this.slots.map((s) => s.name);
  }
}

/** The graph name of step i's copy of a per-step input or output in an unrolled step (`x`, `x@1`, `x@2`, …). */
export const unrolledName = (name: string, i: number): string => (i === 0 ? name : `${name}@${i}`);

function traceStep<P extends Params>(spec: StepSpec<P>) {
  const hostFlat = hostLeaves(spec.params);
  const paramIn = new Map(hostFlat.map(([path, h]) => [path, input(path, h.shape)]));
  const isTrainable = spec.trainable ?? ((p: string) => !isBuffer(p));
  const trainPaths = hostFlat.map(([p]) => p).filter((p) => isTrainable(p) && !isBuffer(p));
  const K = spec.accumulate ?? 1;
  if (!(Number.isInteger(K) && K >= 1))
    throw new CladeError(`accumulate must be a positive integer, got ${K}`);
  const U = spec.unroll ?? 1;
  if (!(Number.isInteger(U) && U >= 1)) throw new CladeError(`unroll must be a positive integer, got ${U}`);
  if (U > 1 && K > 1) throw new CladeError(`unroll (${U}) and accumulate (${K}) cannot be combined`);

  const opt = spec.optimizer;
  const decayRule = spec.decay ?? decays;
  const stateIn: Tensor[] = [];
  const stateScale: number[] = []; // per stateIn entry: the optimizer's slot scale
  let state = new Map<string, Record<string, Tensor>>();
  for (const path of trainPaths) {
    const p = paramIn.get(path)!;
    const slots = Object.fromEntries(opt.slots.map((s) => [s, input(`opt.${s}.${path}`, p.shape)]));
    stateIn.push(...Object.values(slots));
    stateScale.push(...opt.slots.map((s) => opt.slotScale?.[s] ?? 1));
    state.set(path, slots);
    const scale = spec.lrScale?.(path, p.shape) ?? 1;
    if (!(Number.isFinite(scale) && scale > 0))
      throw new CladeError(`the learning-rate scale of '${path}' must be a positive number, got ${scale}`);
  }
  // Accumulation: g ← (acc + g)/K feeds the update, which only lands when the fed `apply` flag is 1; otherwise the
  // sum is carried in `acc.<path>` and parameters and optimizer state pass through unchanged.
  const apply = K > 1 ? input('opt.apply', []) : null;
  const accIn: Tensor[] = [];
  const gated = (next: Tensor, prev: Tensor) => (apply ? prev.add(next.sub(prev).mul(apply)) : next);

  const outputs: Record<string, Tensor> = {};
  const batchIn: Tensor[] = [];
  const scalarIn: Tensor[] = [];
  const randomInputs: Ctx['randomInputs'] = [];
  // Step i reads the parameters, buffers and optimizer state step i − 1 wrote (step 0: the graph inputs).
  let cur = new Map(paramIn);
  for (let i = 0; i < U; i++) {
    const name = (n: string) => unrolledName(n, i);
    // The symbolic twin of `spec.params`: the same tree with this step's tensor per leaf.
    const sym = unflattenLike(spec.params, cur, isHostTensor) as unknown as SymbolicParams<P>;
    const batch = Object.fromEntries(
      Object.entries(spec.batch).map(([k, b]) => [k, input(name(k), b.shape, b.dtype ?? 'float32')]),
    );
    batchIn.push(...Object.values(batch));
    const ctx = new Ctx(true, i === 0 ? '' : `@${i}`);
    const { loss, metrics = {} } = spec.loss(sym, batch, ctx);
    if (loss.size !== 1) throw new CladeError(`the loss must be a scalar, got shape [${loss.shape}]`);
    randomInputs.push(...ctx.randomInputs);
    let grads = grad(
      loss,
      trainPaths.map((p) => cur.get(p)!),
    );
    outputs[name('loss')] = loss.reshape([1]);
    if (K > 1) {
      grads = grads.map((g, j) => {
        const acc = input(`acc.${trainPaths[j]}`, g.shape);
        accIn.push(acc);
        const sum = acc.add(g);
        outputs[`new.acc.${trainPaths[j]}`] = sum.mul(apply!.neg().add(1));
        return sum.mul(1 / K);
      });
    }
    if (spec.clipNorm !== undefined) {
      const c = clipGlobalNorm(grads, spec.clipNorm);
      grads = c.grads;
      outputs[name('metric.gradNorm')] = c.norm.reshape([1]);
    }
    for (const [k, m] of Object.entries(metrics)) outputs[name(`metric.${k}`)] = m.reshape([1]);

    const scalars = Object.fromEntries(opt.scalarNames.map((n) => [n, input(name(`opt.${n}`), [])]));
    scalarIn.push(...Object.values(scalars));
    const next = new Map(cur);
    const nextState = new Map<string, Record<string, Tensor>>();
    trainPaths.forEach((path, j) => {
      const p = cur.get(path)!;
      const st = state.get(path)!;
      const scale = spec.lrScale?.(path, p.shape) ?? 1;
      const r = opt.update(p, grads[j], st, scalars, decayRule(path, p.shape), scale);
      const range = spec.clamp?.(path);
      next.set(path, gated(range ? r.p.maximum(range[0]).minimum(range[1]) : r.p, p));
      nextState.set(path, Object.fromEntries(opt.slots.map((s) => [s, gated(r.state[s], st[s])])));
    });
    for (const [path, t] of ctx.updates) {
      if (!paramIn.has(path))
        throw new CladeError(`an update targets '${path}', which is not a parameter or buffer`);
      if (trainPaths.includes(path))
        throw new CladeError(`'${path}' is trained by the optimizer and also updated by the loss`);
      next.set(path, t);
    }
    cur = next;
    state = nextState;
  }
  for (const [path, t] of cur) if (t !== paramIn.get(path)) outputs[`new.${path}`] = t;
  for (const [path, st] of state) for (const s of opt.slots) outputs[`new.opt.${s}.${path}`] = st[s];
  // Slots whose values change each step cycle through ping-pong buffers; frozen ones are plain inputs that
  // keep their single buffer (fed as both halves).
  const slots: Slot[] = [];
  for (const [path, h] of hostFlat) {
    const a = h.data.slice();
    const changes = `new.${path}` in outputs;
    slots.push({
      name: path,
      out: changes ? `new.${path}` : '',
      bufs: [a, changes ? a.slice() : a],
      scale: 1,
    });
  }
  for (const [t, scale] of [
    ...stateIn.map((t, i) => [t, stateScale[i]] as const),
    ...accIn.map((t) => [t, 1] as const),
  ])
    slots.push({
      name: t.name!,
      out: `new.${t.name}`,
      bufs: [new Float32Array(t.size), new Float32Array(t.size)],
      scale,
    });
  const graphInputs = [
    ...paramIn.values(),
    ...stateIn,
    ...accIn,
    ...batchIn,
    ...scalarIn,
    ...(apply ? [apply] : []),
    ...randomInputs.map((r) => r.tensor),
  ];
  const used = defineGraph(graphInputs, outputs);
  const metricNames = Object.keys(outputs)
    .filter((k) => k.startsWith('metric.') && !k.includes('@'))
    .map((k) => k.slice(7));
  return { graph: used, slots, randomInputs, metricNames };
}

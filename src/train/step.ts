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
  private readonly scalarBufs = new Map<string, Float32Array>();

  private constructor(
    readonly spec: StepSpec<P>,
    readonly graph: Graph,
    readonly compiled: Compiled,
    private readonly slots: Slot[],
    private readonly randomInputs: Ctx['randomInputs'],
    private readonly metricNames: string[],
  ) {
    this.rng = new Rng(spec.seed ?? 0);
    for (const n of spec.optimizer.scalarNames) this.scalarBufs.set(n, new Float32Array(1));
  }

  static async create<P extends Params>(spec: StepSpec<P>): Promise<TrainStep<P>> {
    const { graph, slots, randomInputs, metricNames } = traceStep(spec);
    return new TrainStep<P>(spec, graph, await compile(graph), slots, randomInputs, metricNames);
  }

  /** Micro-batches already summed into the accumulator (0 when not accumulating). */
  micro = 0;

  /**
   * Run one step (or one micro-batch, when accumulating) at learning rate `lr`. Throws NonFiniteLossError
   * (without updating anything) on a NaN/Inf loss. `t` advances when the optimizer actually updates.
   */
  async run(batch: Readonly<Record<string, HostArray>>, lr: number): Promise<StepResult> {
    const k = this.spec.accumulate ?? 1;
    const applying = this.micro + 1 >= k;
    const t = this.t + 1;
    const feeds: Record<string, HostArray> = { ...batch };
    const into: Record<string, HostArray> = {};
    for (const s of this.slots) {
      feeds[s.name] = s.bufs[this.cur];
      if (s.out) into[s.out] = s.bufs[1 - this.cur];
    }
    const sc = this.spec.optimizer.scalars(t, lr);
    for (const [k, buf] of this.scalarBufs) {
      buf[0] = sc[k];
      feeds[`opt.${k}`] = buf;
    }
    if (k > 1) feeds['opt.apply'] = Float32Array.of(applying ? 1 : 0);
    for (const r of this.randomInputs)
      feeds[r.tensor.name!] = sampleDropoutMask(r.tensor.size, r.p, this.rng);
    const out = await this.compiled.run(feeds, into);
    const loss = (out.loss as Float32Array)[0];
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(t, loss);
    this.cur = 1 - this.cur;
    if (applying) {
      this.t = t;
      this.micro = 0;
    } else this.micro++;
    const metrics: Record<string, number> = {};
    for (const m of this.metricNames) metrics[m] = (out[`metric.${m}`] as Float32Array)[0];
    return { loss, metrics };
  }

  /**
   * Current values of every state slot (parameters, buffers, optimizer state) by graph name: views of the live
   * buffers, except slots the optimizer carries scaled (`Optimizer.slotScale`), which come back as unscaled copies.
   */
  state(): Map<string, HostTensor> {
    const m = new Map<string, HostTensor>();
    for (const [name, t] of this.heldState().tensors) {
      const scale = this.slots.find((s) => s.name === name)!.scale;
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

function traceStep<P extends Params>(spec: StepSpec<P>) {
  const hostFlat = hostLeaves(spec.params);
  const paramIn = new Map(hostFlat.map(([path, h]) => [path, input(path, h.shape)]));
  // The symbolic twin of `spec.params`: the same tree with one named graph input per leaf.
  const sym = unflattenLike(spec.params, paramIn, isHostTensor) as unknown as SymbolicParams<P>;
  const batch = Object.fromEntries(
    Object.entries(spec.batch).map(([k, b]) => [k, input(k, b.shape, b.dtype ?? 'float32')]),
  );
  const ctx = new Ctx(true);
  const { loss, metrics = {} } = spec.loss(sym, batch, ctx);
  if (loss.size !== 1) throw new CladeError(`the loss must be a scalar, got shape [${loss.shape}]`);

  const isTrainable = spec.trainable ?? ((p: string) => !isBuffer(p));
  const trainPaths = hostFlat.map(([p]) => p).filter((p) => isTrainable(p) && !isBuffer(p));
  let grads = grad(
    loss,
    trainPaths.map((p) => paramIn.get(p)!),
  );
  const outputs: Record<string, Tensor> = { loss: loss.reshape([1]) };
  // Accumulation: g ← (acc + g)/K feeds the update, which only lands when the fed `apply` flag is 1; otherwise the
  // sum is carried in `acc.<path>` and parameters and optimizer state pass through unchanged.
  const K = spec.accumulate ?? 1;
  if (!(Number.isInteger(K) && K >= 1))
    throw new CladeError(`accumulate must be a positive integer, got ${K}`);
  const apply = K > 1 ? input('opt.apply', []) : null;
  const accIn: Tensor[] = [];
  if (K > 1) {
    grads = grads.map((g, i) => {
      const acc = input(`acc.${trainPaths[i]}`, g.shape);
      accIn.push(acc);
      const sum = acc.add(g);
      outputs[`new.acc.${trainPaths[i]}`] = sum.mul(apply!.neg().add(1));
      return sum.mul(1 / K);
    });
  }
  const gated = (next: Tensor, prev: Tensor) => (apply ? prev.add(next.sub(prev).mul(apply)) : next);
  if (spec.clipNorm !== undefined) {
    const c = clipGlobalNorm(grads, spec.clipNorm);
    grads = c.grads;
    outputs['metric.gradNorm'] = c.norm.reshape([1]);
  }
  for (const [k, m] of Object.entries(metrics)) outputs[`metric.${k}`] = m.reshape([1]);

  const opt = spec.optimizer;
  const scalars = Object.fromEntries(opt.scalarNames.map((n) => [n, input(`opt.${n}`, [])]));
  const stateIn: Tensor[] = [];
  const stateScale: number[] = []; // per stateIn entry: the optimizer's slot scale
  const decayRule = spec.decay ?? decays;
  trainPaths.forEach((path, i) => {
    const p = paramIn.get(path)!;
    const state = Object.fromEntries(opt.slots.map((s) => [s, input(`opt.${s}.${path}`, p.shape)]));
    stateIn.push(...Object.values(state));
    stateScale.push(...opt.slots.map((s) => opt.slotScale?.[s] ?? 1));
    const scale = spec.lrScale?.(path, p.shape) ?? 1;
    if (!(Number.isFinite(scale) && scale > 0))
      throw new CladeError(`the learning-rate scale of '${path}' must be a positive number, got ${scale}`);
    const r = opt.update(p, grads[i], state, scalars, decayRule(path, p.shape), scale);
    const range = spec.clamp?.(path);
    outputs[`new.${path}`] = gated(range ? r.p.maximum(range[0]).minimum(range[1]) : r.p, p);
    for (const s of opt.slots) outputs[`new.opt.${s}.${path}`] = gated(r.state[s], state[s]);
  });
  for (const [path, t] of ctx.updates) {
    if (!paramIn.has(path))
      throw new CladeError(`an update targets '${path}', which is not a parameter or buffer`);
    if (trainPaths.includes(path))
      throw new CladeError(`'${path}' is trained by the optimizer and also updated by the loss`);
    outputs[`new.${path}`] = t;
  }
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
  const randomInputs = ctx.randomInputs;
  const graphInputs = [
    ...paramIn.values(),
    ...stateIn,
    ...accIn,
    ...Object.values(batch),
    ...Object.values(scalars),
    ...(apply ? [apply] : []),
    ...randomInputs.map((r) => r.tensor),
  ];
  const used = defineGraph(graphInputs, outputs);
  const metricNames = Object.keys(outputs)
    .filter((k) => k.startsWith('metric.'))
    .map((k) => k.slice(7));
  return { graph: used, slots, randomInputs, metricNames };
}

import type { Tensor } from '../engine/tensor.ts';

/**
 * An optimizer as a pure in-graph update: state tensors and per-step scalars are graph inputs, so a learning-rate
 * schedule or bias correction never rebuilds the graph.
 */
export interface Optimizer {
  readonly kind: string;
  /** Names of per-parameter state slots (e.g. ['m', 'v']); each starts at zero. */
  readonly slots: readonly string[];
  /**
   * Slots the graph carries scaled: slot `s` is held as `slotScale[s]` × its textbook value (AdamW keeps
   * m/(1−β₁) and v/(1−β₂), which saves two elementwise passes per tensor). `TrainStep.state()` and `load()`
   * convert, so checkpoints always hold the textbook values.
   */
  readonly slotScale?: Readonly<Record<string, number>>;
  /** Names of scalar inputs the update reads each step (fed as [] float32). */
  readonly scalarNames: readonly string[];
  /** Scalar values for optimizer step `t` (1-based) at learning rate `lr`. */
  scalars(t: number, lr: number): Record<string, number>;
  /**
   * Symbolic update of one parameter. `decay` is false for the no-weight-decay group (biases, norms, scales);
   * `lrScale` multiplies this parameter's learning rate (a constant of the graph: layer-wise LR decay), as a
   * PyTorch parameter group with `lr = lr·lrScale` would — the decoupled weight decay of AdamW included.
   */
  update(
    p: Tensor,
    g: Tensor,
    state: Record<string, Tensor>,
    s: Record<string, Tensor>,
    decay: boolean,
    lrScale?: number,
  ): UpdateResult;
}
export interface UpdateResult {
  readonly p: Tensor;
  readonly state: Record<string, Tensor>;
}

/**
 * The default no-weight-decay rule (as open_clip and timm): tensors of rank < 2 (biases, norm gains), and
 * learnable scalars such as logit scales and loss weights.
 */
export const decays = (path: string, shape: readonly number[]): boolean =>
  shape.length >= 2 && !/(logitScale|logit_scale|logitBias|lambda|temperature)/i.test(path);

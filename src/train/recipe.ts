/**
 * What the trainer trains: a `Recipe` is plain data plus functions — parameters, the step's inputs and loss, how a
 * loader batch becomes step feeds, which pipeline the loader workers build, and the towers a model directory
 * exports. The train core (trainer, step, model directory) only knows this interface; the recipes themselves live
 * in src/train/recipes and are found by name through RECIPES.
 */
import type { Batch } from '../data/loader/loader-types.ts';
import type { PipelineSource } from '../data/pipelines/index.ts';
import type { SkipReport, StreamDataset } from '../data/types.ts';
import type { DType } from '../engine/ir/ops.ts';
import type { HostArray } from '../engine/runtime/ort.ts';
import type { Tensor } from '../engine/tensor.ts';
import type { Embeddings } from '../io/embeddings.ts';
import type { Ctx, Params, SymParams } from '../nn/context.ts';
import type { SymbolicParams } from '../nn/param-tree.ts';
import type { Optimizer } from '../optim/types.ts';
import { Rng } from '../util/rng.ts';
import type { BatchSpec, LossOutput, StepSpec } from './step.ts';

/** A graph input of a tower or a step: its static shape and dtype (float32 unless given). */
export interface InputSpec {
  readonly shape: readonly number[];
  readonly dtype?: DType;
}

/**
 * A forward tower to export as a standalone ONNX model (image, text or tabular). `S` is the symbolic parameter
 * tree `forward` reads (a recipe's `SymbolicParams<P>`).
 */
export interface TowerSpec<S = SymParams> {
  readonly inputs: Readonly<Record<string, InputSpec>>;
  /** Returns `{ embedding }` (unnormalised) and any extra outputs. */
  forward(p: S, inputs: Readonly<Record<string, Tensor>>, ctx: Ctx): Record<string, Tensor>;
}

/**
 * Everything the trainer needs to train one model. `P` is the host parameter tree `init` returns; `loss` and the
 * towers see its symbolic twin `S` while tracing, the evaluation hooks the host tree, all typed. Any recipe is a
 * `Recipe` (of the untyped `Params`), which is what the trainer and the model directory take.
 */
export interface Recipe<P extends Params = Params, S = SymbolicParams<P>> {
  readonly name: string;
  readonly batchSize: number;
  readonly batchSpec: Readonly<Record<string, BatchSpec>>;
  readonly optimizer: Optimizer;
  readonly clipNorm?: number;
  /** The loader pipeline, by name in the pipeline table (src/data/pipelines); each worker thread builds it. */
  readonly pipeline: PipelineSource;
  /**
   * A stream (WebDataset shards) the trainer reads in the main thread with a `StreamLoader`; `pipeline` then gives
   * only the per-sample transform. Absent: the loader reads `pipeline`'s dataset by index.
   */
  readonly stream?: StreamDataset;
  /** Items the data readers skipped (`onError=skip`), reported at the end of training and in metrics.jsonl. */
  skipped?(): readonly SkipReport[];
  init(rng: Rng): P;
  loss(p: S, batch: Readonly<Record<string, Tensor>>, ctx: Ctx): LossOutput;
  clamp?(path: string): readonly [number, number] | undefined;
  trainable?(path: string): boolean;
  /** Weight-decay group rule (default `decays` in src/optim: rank ≥ 2, no scales/temperatures). */
  decay?(path: string, shape: readonly number[]): boolean;
  /** Learning-rate multiplier per trained parameter (default 1; layer-wise LR decay when fine-tuning). */
  lrScale?(path: string, shape: readonly number[]): number;
  /** Step feeds from a loader batch; `step` is the 0-based optimizer step (for text-type schedules). */
  feeds(batch: Batch, step: number): Record<string, HostArray>;
  /** Towers for the model directory, keyed `image`, `text`, `tabular`, built for a static batch. */
  towers(batch: number): Readonly<Record<string, TowerSpec<S>>>;
  /** JSON-serialisable description written to model.json (architecture, preprocessing, tokenizer, taxonomy). */
  describe(): Record<string, unknown>;
  /**
   * Optional evaluation run every `train.evalEvery` steps (zero-shot accuracy by rank for the image-text recipes,
   * d_corr for radial-finetune); its numbers are added to that step's line of metrics.jsonl.
   */
  periodicEval?(params: P, step: number): Promise<Record<string, number>>;
  /**
   * Image-text recipes: zero-shot accuracy by rank (`<mode>/<rank>` → fraction) of image-tower outputs computed
   * elsewhere (`image`: the tower's outputs by name, [N, ·]; `labels`: each row's class), against class-text
   * embeddings from the recipe's text tower.
   */
  zeroShotImages?(
    params: P,
    image: Readonly<Record<string, Embeddings>>,
    labels: ArrayLike<number>,
  ): Promise<Record<string, number>>;
}

/**
 * The training step a recipe defines, from `params` (default: the recipe's own init with `seed`'s `init` fork,
 * as the trainer does).
 *
 * @example
 * const step = await TrainStep.create(stepSpec(recipe, { seed: 0 }));
 */
export function stepSpec<P extends Params>(
  recipe: Recipe<P>,
  o: { seed?: number; params?: P; accumulate?: number; unroll?: number } = {},
): StepSpec<P> {
  const seed = o.seed ?? 0;
  return {
    params: o.params ?? recipe.init(new Rng(seed).fork('init')),
    batch: recipe.batchSpec,
    loss: (p, b, ctx) => recipe.loss(p, b, ctx),
    optimizer: recipe.optimizer,
    clamp: recipe.clamp && ((path) => recipe.clamp!(path)),
    trainable: recipe.trainable && ((path) => recipe.trainable!(path)),
    decay: recipe.decay && ((path, shape) => recipe.decay!(path, shape)),
    lrScale: recipe.lrScale && ((path, shape) => recipe.lrScale!(path, shape)),
    clipNorm: recipe.clipNorm,
    seed: new Rng(seed).fork('step').uint32(),
    accumulate: o.accumulate ?? 1,
    unroll: o.unroll ?? 1,
  };
}

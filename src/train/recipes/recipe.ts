import type { HostArray } from '../../engine/runtime/ort.ts';
import type { Tensor } from '../../engine/tensor.ts';
import type { Batch, PipelineSource } from '../../data/loader/loader-types.ts';
import type { Ctx, Params, SymParams } from '../../nn/context.ts';
import type { Optimizer } from '../../optim/types.ts';
import type { Rng } from '../../util/rng.ts';
import type { BatchSpec, LossFn } from '../step.ts';
import type { DType } from '../../engine/ir/ops.ts';
import type { Embeddings } from '../../io/embeddings.ts';

/** A forward tower to export as a standalone ONNX model (image, text or tabular). */
export interface TowerSpec {
  readonly inputs: Readonly<Record<string, { shape: readonly number[]; dtype?: DType }>>;
  /** Returns `{ embedding }` (unnormalised) and any extra outputs. */
  readonly forward: (
    p: SymParams,
    inputs: Readonly<Record<string, Tensor>>,
    ctx: Ctx,
  ) => Record<string, Tensor>;
}

/**
 * Everything the trainer needs to train one model: parameters, the step's inputs and loss, how to turn a loader
 * batch into step feeds, the data pipeline, and the towers to export. A recipe is plain data plus functions.
 */
export interface Recipe {
  readonly name: string;
  init(rng: Rng): Params;
  readonly batchSize: number;
  readonly batchSpec: Readonly<Record<string, BatchSpec>>;
  readonly loss: LossFn;
  readonly optimizer: Optimizer;
  readonly clamp?: (path: string) => readonly [number, number] | undefined;
  readonly trainable?: (path: string) => boolean;
  /** Weight-decay group rule (default `decays` in src/optim: rank ≥ 2, no scales/temperatures). */
  readonly decay?: (path: string, shape: readonly number[]) => boolean;
  readonly clipNorm?: number;
  /** Loader pipeline (built in each worker thread from a module + export). */
  readonly pipeline: PipelineSource;
  /** Step feeds from a loader batch; `step` is the 0-based optimizer step (for text-type schedules). */
  feeds(batch: Batch, step: number): Record<string, HostArray>;
  /** Towers for the model directory, keyed `image`, `text`, `tabular`. */
  towers(exportBatch: number): Readonly<Record<string, TowerSpec>>;
  /** JSON-serialisable description written to model.json (architecture, preprocessing, tokenizer, taxonomy). */
  describe(): Record<string, unknown>;
  /** Optional periodic evaluation (e.g. kNN accuracy, zero-shot by rank), run every `train.evalEvery` steps by
   * `clade train`; its numbers are added to that step's line of metrics.jsonl. */
  periodicEval?(params: Params, step: number): Promise<Record<string, number>>;
  /**
   * Image-text recipes: zero-shot accuracy by rank (`<mode>/<rank>` → fraction) of image-tower outputs computed
   * elsewhere (`image`: the tower's outputs by name, [N, ·]; `labels`: each row's class), against class-text
   * embeddings from the recipe's text tower.
   */
  zeroShotImages?(
    params: Params,
    image: Readonly<Record<string, Embeddings>>,
    labels: ArrayLike<number>,
  ): Promise<Record<string, number>>;
}

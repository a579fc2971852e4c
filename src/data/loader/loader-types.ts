import type { Rng } from '../../util/rng.ts';
import type { FloatImage } from '../augment/float-image.ts';
import type { Sample } from '../types.ts';

/** A random-access dataset whose `get` may be asynchronous (e.g. decoding with sharp). `Dataset` fits. */
export interface LoaderDataset {
  readonly name: string;
  readonly length: number;
  get(index: number): Sample | Promise<Sample>;
}

/** What a per-sample transform produces; the loader stacks these into a `Batch`. */
export interface Item {
  /** Augmented image views, each [C, H, W]; every sample must give the same number and shape. */
  readonly views?: readonly FloatImage[];
  readonly label?: number;
  readonly captions?: readonly string[];
  readonly tokens?: Int32Array; /* [T] */
  /** Tabular views, each [F]. */
  readonly tabular?: readonly Float32Array[];
}

/** Lets a transform write a view straight into the batch buffer instead of returning its own copy. */
export interface ItemContext {
  /** This sample's slot (`size` floats, one [C, H, W] view) in the batch buffer of view `view`. */
  viewSlot(view: number, size: number): Float32Array;
}

/**
 * Turns one sample into one item. `rng` is derived from (seed, epoch, sample index) only, so results do not depend
 * on batch composition, worker count or timing. A view written into `ctx.viewSlot(k, n)` and returned as is is not
 * copied again.
 */
export type SampleTransform = (sample: Sample, rng: Rng, ctx?: ItemContext) => Item | Promise<Item>;

/** A dataset plus its per-sample transform. */
export interface Pipeline {
  readonly dataset: LoaderDataset;
  readonly transform: SampleTransform;
}

/** One stacked batch. */
export interface Batch {
  readonly epoch: number;
  /** Batch number within the epoch (0-based). */
  readonly step: number;
  readonly indices: Int32Array; /* [B] dataset indices */
  /** One buffer per view. */
  readonly views: Float32Array[]; /* V x [B, C, H, W] */
  /** [C, H, W] of every view, or null without views. */
  readonly viewShape: readonly [number, number, number] | null;
  /** -1 where a sample has no label. */
  readonly labels: Int32Array | null; /* [B] */
  readonly captions: (readonly string[])[] | null; /* [B] */
  readonly tokens: Int32Array | null; /* [B, T] */
  readonly tabular: Float32Array[] | null; /* V x [B, F] */
}

/** Where a loader is: the next batch it will yield is batch `step` of `epoch`. Save it to resume exactly. */
export interface LoaderPosition {
  readonly epoch: number;
  readonly step: number;
  /**
   * `StreamLoader` over a resumable stream (WebDataset): the stream's read position at the start of that batch
   * (JSON), so resuming continues from there instead of re-reading the epoch up to it.
   */
  readonly stream?: unknown;
}

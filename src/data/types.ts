/** An 8-bit image in HWC layout (row-major, channels interleaved), as decoders produce it. */
export interface Image {
  readonly data: Uint8Array; /* [H, W, C] */
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
}

/** One record of any dataset. Fields a format does not carry are absent. */
export interface Sample {
  /** Position in the dataset (or in the stream). */
  readonly index: number;
  /** Stable identifier: file path, tar member key, or `${dataset}/${split}/${index}`. */
  readonly id: string;
  readonly image?: Image;
  /** An encoded image file (JPEG/PNG/WebP) not decoded yet (ImageFolder, manifests); `withImage` decodes it. */
  readonly imagePath?: string;
  /** Encoded image bytes not decoded yet (WebDataset with `decode: false`, so loader workers decode); `withImage` decodes them. */
  readonly imageBytes?: Uint8Array;
  /** Class index at the finest rank the dataset labels. */
  readonly label?: number;
  /** Taxonomic names from the coarsest to the finest rank; `null` where a rank is missing. */
  readonly lineage?: readonly (string | null)[];
  readonly captions?: readonly string[];
  /** Named texts, e.g. BioCLIP 2's five text types keyed by type (`taxon`, `sci`, `com`, `sci_com`, `taxon_com`). */
  readonly texts?: Readonly<Record<string, string>>;
  /** Within-class variant factors, e.g. `{ stage: 'juvenile', sex: 'female' }`. */
  readonly variants?: Readonly<Record<string, string>>;
  /** Numeric traits, e.g. `{ beak: 1.7 }`. */
  readonly traits?: Readonly<Record<string, number>>;
  /** Categorical attributes beyond the taxonomy that may cut across it, e.g. `{ habitat: 'aquatic' }`. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Tabular feature vector (a second modality). */
  readonly tabular?: Float32Array; /* [F] */
  readonly split?: string;
}

/** A random-access dataset. Readers that can only stream implement `StreamDataset` instead. */
export interface Dataset {
  readonly name: string;
  readonly length: number;
  get(index: number): Sample;
}

/** A dataset read as a stream (WebDataset shards). */
export interface StreamDataset {
  readonly name: string;
  stream(opts?: { seed?: number; epoch?: number }): AsyncIterable<Sample>;
}

/**
 * A read position in a stream: `next()` gives the samples of `stream({ seed, epoch })` in order, and `state()` is a
 * small JSON-serialisable value (what a checkpoint stores) from which `open({ ..., from })` continues exactly there.
 */
export interface StreamCursor<S = unknown> {
  next(): Promise<Sample | undefined>;
  /** The position after the last sample `next()` returned. */
  state(): S;
  /** Stops reading (closes open files). */
  close(): Promise<void>;
}

/** A stream that can be resumed from a stored position without re-reading what came before (WebDataset). */
export interface ResumableStreamDataset<S = unknown> extends StreamDataset {
  open(opts: { seed?: number; epoch?: number; from?: S }): StreamCursor<S>;
}

/** How readers treat a bad record: stop with an error naming it, or skip it and report what was skipped. */
export type OnError = 'fail' | 'skip';

export interface SkipReport {
  readonly where: string;
  readonly reason: string;
}

/**
 * The explorer folder's data contract, shared by the Node writer (`write-explorer.ts`) and the page (`web/`).
 * Pure: no `node:` imports, so the browser bundle includes it.
 *
 * Every data file is a classic script `data/<name>.js` that calls `cladeData(name, payload)`: pages opened from
 * `file://` may load scripts but not `fetch` neighbouring files, so this one mechanism serves `file://`, static
 * servers and `clade explore --serve` alike. Binary payloads (Arrow IPC tables, raw float32 matrices, the ONNX
 * model, the onnxruntime-web WebAssembly) are base64 strings (4/3 of the bytes; decoded natively by
 * `Uint8Array.fromBase64` where the browser has it). Small structured payloads (manifest, results) are JSON.
 */

/** The global function every data script calls. */
export const DATA_CALLBACK = 'cladeData';

/** Raw float32 embedding chunks are split at this many bytes (keeps each base64 string far below V8's limit). */
export const EMBEDDING_CHUNK_BYTES = 32 * 1024 * 1024;

/**
 * Separator of the ranks in a taxonomy node's `key` in the text table (a lineage tuple, e.g. `Aves␟Corvus`): the
 * ASCII unit separator, which no rank name contains, so ("Alpha beta", "gamma") and ("Alpha", "beta gamma") stay
 * two nodes (a space would merge them).
 */
export const KEY_SEP = '\u001f';

export const MANIFEST_SCHEMA = 'clade.explorer/1';

/** A metadata column of `points` (Arrow: Dictionary<Utf8> for categorical, Float32 for numeric). */
export interface ColumnInfo {
  readonly name: string;
  readonly kind: 'categorical' | 'numeric';
  /** Distinct values (categorical). */
  readonly categories?: number;
}

/** A 2-D projection stored as Float32 columns `<name>_x`, `<name>_y` of `points`. */
export interface ProjectionInfo {
  readonly name: string;
  /** How it was made, e.g. 'PCA (exact)', 'UMAP (umap-js, 15 neighbours)', 't-SNE (druidjs, perplexity 30)'. */
  readonly method: string;
}

/** Image preprocessing of the exported image tower (clade embed's `clipEvalView`). */
export interface PreprocessingInfo {
  readonly channels: number;
  readonly size: number;
  readonly mean: readonly number[] | null;
  readonly std: readonly number[] | null;
  /** The tower's input name and static batch size. */
  readonly input: string;
  readonly batch: number;
}

/** `data/manifest.js`: what the folder holds. */
export interface ExplorerManifest {
  readonly schema: typeof MANIFEST_SCHEMA;
  readonly title: string;
  readonly createdAt: string;
  readonly clade: string;
  /** Number of points, embedding width. */
  readonly n: number;
  readonly d: number;
  readonly columns: readonly ColumnInfo[];
  /** Taxonomy rank columns, coarsest first (a subset of `columns`). */
  readonly ranks: readonly string[];
  readonly projections: readonly ProjectionInfo[];
  /** Raw float32 chunk files holding the L2-normalised embeddings, row-major `[N, D]`, in order. */
  readonly embeddingChunks: readonly { readonly file: string; readonly rows: number }[];
  /** Thumbnail URL of point `i` is `thumbs/<floor(i / 1000)>/<i>.<ext>`; null when there are none. */
  readonly thumbnails: { readonly ext: string; readonly size: number } | null;
  /** Taxonomy text embeddings (`data/text.js`): root + one node per lineage prefix; null when absent. */
  readonly text: { readonly nodes: number; readonly logitScale: number } | null;
  /** The image tower (`data/model.js`, `data/ort-wasm.js`); null when absent. */
  readonly model: (PreprocessingInfo & { readonly name: string }) | null;
  /** Number of result documents in `data/results.js`. */
  readonly results: number;
  /** Notes for the user (e.g. a projection left out and why). */
  readonly notes: readonly string[];
}

/** Thumbnail path of point `i`. */
export function thumbnailPath(i: number, ext: string): string {
  return `thumbs/${Math.floor(i / 1000)}/${i}.${ext}`;
}

/** The script text of one data file. */
export function dataScript(name: string, payload: string | object): string {
  const body = typeof payload === 'string' ? JSON.stringify(payload) : JSON.stringify(payload);
  return `${DATA_CALLBACK}(${JSON.stringify(name)},${body});\n`;
}

/** The text node of the root (empty text) in `text`'s `depth` column. */
export const ROOT_DEPTH = -1;

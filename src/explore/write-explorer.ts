import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { beginDirWrite } from '../io/commit-dir.ts';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import {
  Field,
  FixedSizeList,
  Float32,
  Table,
  Utf8,
  makeData,
  makeVector,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import type { Image } from '../data/types.ts';
import { l2Normalize, type Embeddings } from '../io/embeddings.ts';
import type { Cell } from '../io/metadata.ts';
import type { CladeResult } from '../report/result-schema.ts';
import { CLADE_VERSION, readModelJson } from '../train/model-dir.ts';
import { CladeError } from '../util/errors.ts';
import {
  EMBEDDING_CHUNK_BYTES,
  MANIFEST_SCHEMA,
  ROOT_DEPTH,
  dataScript,
  thumbnailPath,
  type ExplorerManifest,
  type PreprocessingInfo,
  type ProjectionInfo,
  KEY_SEP,
} from './format.ts';
import { pointsTable } from './points-table.ts';
import { computeProjections, type Projection, type ProjectionOptions } from './projections.ts';
import type { TaxonomyText } from './taxonomy-text.ts';

/** What an explorer folder shows. */
export interface ExplorerInput {
  readonly title: string;
  readonly ids: readonly string[]; /* [N] */
  /** The original embedding space (neighbours are cosine in it; projections are computed from it). */
  readonly embeddings: Embeddings; /* [N, D] */
  /** Metadata columns, one cell per point. */
  readonly columns?: Readonly<Record<string, readonly Cell[]>>;
  /** Taxonomy rank columns, coarsest first. */
  readonly ranks?: readonly string[];
  /** Precomputed projections by name; the others in `projectionOptions.which` are computed. */
  readonly projections?: Readonly<Record<string, Projection>>;
  readonly projectionOptions?: ProjectionOptions;
  /** Images for hover thumbnails: point `i`'s image (null: none). */
  readonly images?: { readonly get: (i: number) => Promise<Image | null> } | null;
  /** Taxonomy texts: radial view and zero-shot labels for a dropped image. */
  readonly text?: TaxonomyText | null;
  /**
   * A model directory whose image tower runs in the page on dropped images, with the preprocessing `clade embed`
   * applies (`imagePreprocessing(dir)`).
   */
  readonly model?: {
    readonly dir: string;
    readonly preprocessing: Omit<PreprocessingInfo, 'batch'>;
  } | null;
  /** Result documents shown in the results panel. */
  readonly results?: readonly CladeResult[];
  readonly log?: (line: string) => void;
}

const THUMB_SIZE = 96;

/** The built web app (`npm run build:web`), shipped in the package. */
export function webDistDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../web/dist');
}

const base64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

/**
 * Writes an explorer folder: `index.html`, `assets/` (the built app) and `data/*.js` (see `format.ts`), plus
 * `thumbs/` when images are given. The folder is built next to `outDir` and renamed into place, so a reader never
 * sees half of it. Returns the manifest.
 *
 * @example
 * await writeExplorer('runs/x/explorer', { title: 'x', ids, embeddings, columns, ranks: ['genus', 'species'] });
 */
export async function writeExplorer(outDir: string, input: ExplorerInput): Promise<ExplorerManifest> {
  const log = input.log ?? (() => {});
  const { ids, embeddings } = input;
  const n = embeddings.n;
  if (ids.length !== n) throw new CladeError(`${ids.length} ids for ${n} embeddings`);
  const columns = input.columns ?? {};
  const ranks = input.ranks ?? [];
  for (const r of ranks)
    if (!columns[r])
      throw new CladeError(
        `rank column '${r}' is not a metadata column (${Object.keys(columns).join(', ')})`,
        {
          option: '--ranks',
        },
      );
  const dist = webDistDir();
  if (!existsSync(join(dist, 'index.html')))
    throw new CladeError(`the explorer app is not built (${dist} is missing): run 'npm run build:web'`);

  // built in a sibling temporary folder and committed with one rename (src/io/commit-dir.ts): a crash leaves the
  // previous explorer or the new one, and the next write repairs what a crash between the renames left
  const w = beginDirWrite(outDir);
  const tmp = w.tmp;
  mkdirSync(join(tmp, 'data'), { recursive: true });
  try {
    cpSync(dist, tmp, { recursive: true });
    const write = (name: string, payload: string | object) =>
      writeFileSync(join(tmp, 'data', `${name}.js`), dataScript(name, payload));

    // Projections and the points table.
    const z = l2Normalize(embeddings);
    const given = input.projections ?? {};
    const which = (input.projectionOptions?.which ?? ['umap', 'pca', 'tsne']).filter((p) => !given[p]);
    const computed = computeProjections(z, { ...input.projectionOptions, which, log });
    const projections: Record<string, Projection> = { ...given, ...computed.projections };
    if (!Object.keys(projections).length) throw new CladeError('no projection to show');
    const order = ['umap', 'pca', 'tsne'];
    const names = Object.keys(projections).sort(
      (a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99),
    );
    const xy = Object.fromEntries(names.map((k) => [k, projections[k].xy]));
    const points = pointsTable(ids, xy, columns, ranks);
    write('points', base64(points.bytes));

    // L2-normalised embeddings, raw float32 chunks.
    const rowsPerChunk = Math.max(1, Math.floor(EMBEDDING_CHUNK_BYTES / (4 * embeddings.d)));
    const embeddingChunks: { file: string; rows: number }[] = [];
    for (let s = 0, c = 0; s < n; s += rowsPerChunk, c++) {
      const rows = Math.min(rowsPerChunk, n - s);
      const name = `embeddings-${String(c).padStart(3, '0')}`;
      write(name, base64(new Uint8Array(z.data.buffer, z.data.byteOffset + s * z.d * 4, rows * z.d * 4)));
      embeddingChunks.push({ file: `${name}.js`, rows });
    }

    // Taxonomy text nodes: depth, name, key, L2-normalised embedding; the root first (depth −1).
    const text = input.text ?? null;
    if (text) {
      if (text.embeddings.d !== embeddings.d)
        throw new CladeError(`text embeddings have dimension ${text.embeddings.d}, images ${embeddings.d}`);
      const M = text.lineages.length + 1;
      const all = l2Normalize({
        data: Float32Array.from([...text.root, ...text.embeddings.data]),
        n: M,
        d: embeddings.d,
      });
      const depth = Float32Array.from([ROOT_DEPTH, ...text.lineages.map((l) => l.length - 1)]);
      const name = ['(root)', ...text.lineages.map((l) => l[l.length - 1])];
      const key = ['', ...text.lineages.map((l) => l.join(KEY_SEP))];
      const type = new FixedSizeList(embeddings.d, new Field('item', new Float32(), false));
      const child = makeData({ type: new Float32(), length: M * embeddings.d, data: all.data });
      const emb = makeVector(makeData({ type, length: M, nullCount: 0, child }));
      const t = new Table({
        depth: makeVector(depth),
        name: vectorFromArray(name, new Utf8()),
        key: vectorFromArray(key, new Utf8()),
        embedding: emb,
      });
      write('text', base64(tableToIPC(t, 'file')));
    }

    // The image tower and onnxruntime-web's WebAssembly.
    let model: ExplorerManifest['model'] = null;
    if (input.model) {
      const m = readModelJson(input.model.dir);
      const tower = m.towers.image;
      if (!tower)
        throw new CladeError('model has no image tower', { file: join(input.model.dir, 'model.json') });
      const pre = input.model.preprocessing;
      write('model', base64(readFileSync(join(input.model.dir, tower.file))));
      const wasm = createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm');
      write('ort-wasm', base64(readFileSync(wasm)));
      model = {
        name: String(m.description.recipe ?? 'model'),
        channels: pre.channels,
        size: pre.size,
        mean: pre.mean,
        std: pre.std,
        input: pre.input,
        batch: m.batch,
      };
    }

    // Thumbnails.
    let thumbnails: ExplorerManifest['thumbnails'] = null;
    if (input.images) {
      let made = 0;
      for (let i = 0; i < n; i++) {
        const img = await input.images.get(i);
        if (!img) continue;
        const path = join(tmp, thumbnailPath(i, 'png'));
        mkdirSync(dirname(path), { recursive: true });
        const scale = Math.max(1, Math.floor(THUMB_SIZE / Math.max(img.width, img.height)));
        let s = sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
          raw: { width: img.width, height: img.height, channels: img.channels as 1 | 3 | 4 },
        });
        // Small images are enlarged by an integer factor (nearest), large ones shrunk to fit THUMB_SIZE.
        s =
          Math.max(img.width, img.height) > THUMB_SIZE
            ? s.resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside' })
            : s.resize(img.width * scale, img.height * scale, { kernel: 'nearest' });
        await s.png().toFile(path);
        made++;
      }
      if (made) thumbnails = { ext: 'png', size: THUMB_SIZE };
      log(`thumbnails: ${made}`);
    }

    const results = input.results ?? [];
    write('results', results);
    const projectionInfo: ProjectionInfo[] = names.map((name) => ({
      name,
      method: projections[name].method,
    }));
    const manifest: ExplorerManifest = {
      schema: MANIFEST_SCHEMA,
      title: input.title,
      createdAt: new Date().toISOString(),
      clade: CLADE_VERSION,
      n,
      d: embeddings.d,
      columns: points.columns,
      ranks,
      projections: projectionInfo,
      embeddingChunks,
      thumbnails,
      text: text ? { nodes: text.lineages.length, logitScale: text.logitScale } : null,
      model,
      results: results.length,
      notes: computed.notes,
    };
    write('manifest', manifest);

    w.commit();
    return manifest;
  } catch (e) {
    w.abort();
    throw e;
  }
}

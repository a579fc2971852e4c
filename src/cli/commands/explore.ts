import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import sharp from 'sharp';
import type { Image } from '../../data/types.ts';
import { loadEmbeddings } from '../../io/load-embeddings.ts';
import { column, joinByKey, readMetaTable, type Cell } from '../../io/metadata.ts';
import { readResults } from '../../report/index.ts';
import { embedTaxonomyText, taxonomyNodes } from '../../explore/taxonomy-text.ts';
import { PROJECTIONS, type ProjectionName } from '../../explore/projections.ts';
import { serveExplorer } from '../../explore/serve.ts';
import { writeExplorer } from '../../explore/write-explorer.ts';
import { CladeError } from '../../util/errors.ts';
import { parseArgs } from '../args.ts';
import { imagePreprocessing } from '../../embed/embed.ts';
import { checkOutputDir } from '../../io/output-path.ts';

const HELP = `clade explore <embeddings> [--meta FILE] [--out DIR | --serve] [options]

Writes an offline web app (index.html + assets/ + data/; opens from file:// or any static server) showing the
embeddings as a WebGL scatter (UMAP, PCA, t-SNE): colour by any column or taxonomic rank, search and filter,
hover thumbnails, cosine neighbours of a clicked point in the original space, lasso → CSV, the result JSON files
of the embeddings' folder, a radial view of taxonomy texts, and (with --model) an image tower that embeds an
image dropped into the page.

Embeddings: .npy, .safetensors (--tensor NAME), .parquet/.arrow, pybioclip embed .json.
  --meta FILE          CSV/TSV/Parquet metadata, one row per embedding (or joined with --id-col)
  --id-col COL         metadata column holding each embedding's id (default: rows by position)
  --ranks LIST         taxonomy rank columns, coarsest first (e.g. kingdom,phylum,class,order,family,genus,species)
  --images COL         metadata column of image paths (relative to the metadata file) for hover thumbnails
  --model DIR          clade model directory: its image tower runs in the page; with --ranks, its text tower
                       embeds the taxonomy (radial view, zero-shot labels by rank)
  --results DIR        result JSON files to show (default: the embeddings' folder)
  --projections LIST   from umap,pca,tsne (default all; UMAP up to --umap-max 50000, t-SNE up to --tsne-max 5000)
  --title TEXT         page title
  --out DIR            write the folder here (default: explorer/)
  --serve              also serve it on http://127.0.0.1:PORT/ until interrupted (--port, default 8765)`;

/** Reads an image file as 8-bit RGB for a thumbnail. */
async function readImage(path: string): Promise<Image> {
  const { data, info } = await sharp(path)
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
    channels: info.channels === 1 ? 1 : 3,
  };
}

export async function run(argv: string[]): Promise<number> {
  let a: ReturnType<typeof parseArgs>;
  try {
    a = parseArgs(argv, {
      meta: 'string',
      'id-col': 'string',
      ranks: 'string',
      images: 'string',
      model: 'string',
      results: 'string',
      projections: 'string',
      'umap-max': 'number',
      'tsne-max': 'number',
      tensor: 'string',
      title: 'string',
      out: 'string',
      serve: 'boolean',
      port: 'number',
      help: 'boolean',
    });
  } catch (e) {
    if (!(e instanceof CladeError)) throw e;
    console.error(`clade explore: ${e.message}\n\n${HELP}`);
    return 2;
  }
  if (a.help || a._.length !== 1) {
    console.log(HELP);
    return a.help ? 0 : 2;
  }
  const file = a._[0];
  const log = (l: string) => console.error(l);
  const { embeddings, ids } = await loadEmbeddings(file, { name: a.tensor as string | undefined });
  let columns: Record<string, Cell[]> = {};
  let metaDir = '.';
  if (a.meta) {
    const meta = await readMetaTable(a.meta as string);
    metaDir = dirname(a.meta as string);
    let rows: Int32Array;
    if (a['id-col'])
      rows = joinByKey(ids, meta, a['id-col'] as string, { embeddingsFile: file, basename: true });
    else {
      if (meta.length !== embeddings.n)
        throw new CladeError(
          `${meta.length} metadata rows but ${embeddings.n} embeddings in ${file}; pass --id-col to join by id`,
          { file: a.meta as string },
        );
      rows = Int32Array.from({ length: embeddings.n }, (_, i) => i);
    }
    for (const name of meta.names) {
      if (name === a['id-col'] || name === a.images) continue;
      const c = column(meta, name);
      // an `id` column repeating the embeddings' own ids (as `clade embed --meta` writes) is the points' id
      if (name === 'id' && Array.from(rows, (r, i) => String(c[r]) === ids[i]).every(Boolean)) continue;
      columns[name] = Array.from(rows, (r) => c[r]);
    }
  }
  const ranks = ((a.ranks as string | undefined)?.split(',') ?? []).map((s) => s.trim()).filter(Boolean);
  for (const r of ranks)
    if (!columns[r])
      throw new CladeError(
        `rank column '${r}' is not in the metadata (${Object.keys(columns).join(', ') || 'no --meta'})`,
        { option: '--ranks' },
      );
  const which = ((a.projections as string | undefined)?.split(',') ?? [...PROJECTIONS]).map((s) =>
    s.trim(),
  ) as ProjectionName[];
  for (const p of which)
    if (!PROJECTIONS.includes(p))
      throw new CladeError(`unknown projection '${p}'; expected ${PROJECTIONS.join(', ')}`, {
        option: '--projections',
      });

  let images = null;
  if (a.images) {
    if (!a.meta) throw new CladeError('--images needs --meta', { option: '--images' });
    const meta = await readMetaTable(a.meta as string);
    const rows = a['id-col']
      ? joinByKey(ids, meta, a['id-col'] as string, { embeddingsFile: file, basename: true })
      : null;
    const col = column(meta, a.images as string);
    images = {
      get: async (i: number) => {
        const p = col[rows ? rows[i] : i];
        if (p === null || p === '') return null;
        const path = isAbsolute(String(p)) ? String(p) : join(metaDir, String(p));
        try {
          return await readImage(path);
        } catch (e) {
          throw new CladeError(`cannot read image: ${(e as Error).message}`, { file: path, row: i });
        }
      },
    };
  }
  const model = a.model as string | undefined;
  const text = model && ranks.length ? await embedTaxonomyText(model, taxonomyNodes(columns, ranks)) : null;
  const resultsDir = (a.results as string | undefined) ?? dirname(file);
  const results = readResults(resultsDir).map((r) => r.result);
  const out =
    (a.out as string | undefined) ?? (a.serve ? mkdtempSync(join(tmpdir(), 'clade-explorer-')) : 'explorer');
  checkOutputDir(out, 'the explorer directory');
  const m = await writeExplorer(out, {
    title: (a.title as string | undefined) ?? file,
    ids,
    embeddings,
    columns,
    ranks,
    projectionOptions: {
      which,
      umapMax: a['umap-max'] as number | undefined,
      tsneMax: a['tsne-max'] as number | undefined,
      log,
    },
    images,
    text,
    model: model ? { dir: model, preprocessing: imagePreprocessing(model) } : null,
    results,
    log,
  });
  console.log(
    `explorer: ${join(out, 'index.html')} (${m.n.toLocaleString('en')} points; ${m.projections.map((p) => p.name).join(', ')}; ${m.results} results)`,
  );
  if (a.serve) {
    const { url } = await serveExplorer(out, (a.port as number | undefined) ?? 8765);
    console.log(`serving ${url} (Ctrl-C stops)`);
    await new Promise(() => {});
  }
  return 0;
}

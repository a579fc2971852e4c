import type { SyntheticTaxonomyDataset } from '../data/synthetic/synthetic-taxonomy.ts';
import type { Sample } from '../data/types.ts';
import type { Embeddings } from '../io/embeddings.ts';
import type { Cell } from '../io/metadata.ts';
import type { CladeResult } from '../report/result-schema.ts';
import { embedTaxonomyText, taxonomyNodes } from '../explore/taxonomy-text.ts';
import { writeExplorer } from '../explore/write-explorer.ts';
import { imagePreprocessing } from '../embed/embed.ts';

/**
 * The demo's explorer: train and test image embeddings with their lineage (one column per rank), split and
 * variants, thumbnails of the rendered images, the taxonomy texts through the model's text tower, the image tower
 * for dropped images, and the demo's results.
 */
export async function writeDemoExplorer(
  outDir: string,
  o: {
    readonly dataset: SyntheticTaxonomyDataset;
    readonly modelDir: string;
    readonly parts: readonly {
      readonly split: string;
      readonly embeddings: Embeddings;
      readonly samples: readonly Sample[];
    }[];
    readonly results: readonly CladeResult[];
    readonly log?: (line: string) => void;
  },
): Promise<string> {
  const tax = o.dataset.taxonomy;
  const samples = o.parts.flatMap((p) => p.samples);
  const d = o.parts[0].embeddings.d;
  const data = new Float32Array(samples.length * d);
  let row = 0;
  for (const p of o.parts) {
    data.set(p.embeddings.data, row * d);
    row += p.embeddings.n;
  }
  const columns: Record<string, Cell[]> = {};
  tax.ranks.forEach((r, ri) => (columns[r] = samples.map((s) => tax.nameAt(s.label!, ri) ?? null)));
  columns.split = o.parts.flatMap((p) => p.samples.map(() => p.split));
  for (const v of ['stage', 'sex']) columns[v] = samples.map((s) => s.variants?.[v] ?? null);
  const ranks = [...tax.ranks];
  await writeExplorer(outDir, {
    title: 'clade demo — synthetic-taxonomy',
    ids: samples.map((s) => s.id),
    embeddings: { data, n: samples.length, d },
    columns,
    ranks,
    images: { get: async (i) => samples[i].image ?? null },
    text: await embedTaxonomyText(o.modelDir, taxonomyNodes(columns, ranks)),
    model: { dir: o.modelDir, preprocessing: imagePreprocessing(o.modelDir) },
    results: o.results,
    log: o.log,
  });
  return outDir;
}

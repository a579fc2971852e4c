import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { taxonText } from '../data/taxonomy/text-types.ts';
import { tokenizerFromJSON } from '../data/tokenizers/load-tokenizer.ts';
import type { Cell } from '../io/metadata.ts';
import type { Embeddings } from '../io/embeddings.ts';
import { readSafetensors } from '../io/safetensors.ts';
import { readModelJson, runTower } from '../train/model-dir.ts';
import { CladeError } from '../util/errors.ts';

/**
 * Taxonomy text embeddings for the explorer's radial view and in-page zero-shot: the root (empty text, the Radial
 * Embedding origin) and one node per distinct lineage prefix, embedded with BioCLIP 2's `taxon` text type.
 */
export interface TaxonomyText {
  readonly root: Float32Array; /* [D] */
  /** Node `m`'s lineage prefix, coarsest first; its depth is `length − 1`. */
  readonly lineages: readonly (readonly string[])[];
  readonly embeddings: Embeddings; /* [M, D] */
  /** exp(learned logit scale): the zero-shot softmax temperature. */
  readonly logitScale: number;
}

/**
 * Distinct lineage prefixes of the rank columns (coarsest first), grouped by depth then sorted. Rows with a missing
 * rank stop their lineage there.
 *
 * @example
 * taxonomyNodes({ genus: ['A', 'A'], species: ['a', 'b'] }, ['genus', 'species']); // [['A'], ['A','a'], ['A','b']]
 */
export function taxonomyNodes(
  columns: Readonly<Record<string, readonly Cell[]>>,
  ranks: readonly string[],
): string[][] {
  const seen = new Set<string>();
  const out: string[][] = [];
  const n = ranks.length ? columns[ranks[0]].length : 0;
  for (let i = 0; i < n; i++) {
    const lineage: string[] = [];
    for (const r of ranks) {
      const c = columns[r][i];
      if (c === null || c === '') break;
      lineage.push(String(c));
      const key = lineage.join('\u0000');
      if (!seen.has(key)) {
        seen.add(key);
        out.push([...lineage]);
      }
    }
  }
  return out.sort((a, b) => a.length - b.length || (a.join(' ') < b.join(' ') ? -1 : 1));
}

/** The text of a lineage prefix: `taxon` type, BioCLIP's template (as the demo's radial analysis embeds levels). */
export function nodeText(lineage: readonly string[]): string {
  return lineage.length ? taxonText(lineage, undefined, 'taxon') : '';
}

/**
 * Embeds the root and every node through a model directory's text tower, with the tokenizer model.json records;
 * the logit scale comes from the model's weights (`logitScale`, stored as its log), else CLIP's 100.
 *
 * @example
 * const text = await embedTaxonomyText('runs/x/model', taxonomyNodes(meta.columns, ranks));
 */
export async function embedTaxonomyText(
  modelDir: string,
  nodes: readonly (readonly string[])[],
): Promise<TaxonomyText> {
  const model = readModelJson(modelDir);
  const file = join(modelDir, 'model.json');
  const tower = model.towers.text;
  if (!tower)
    throw new CladeError('model has no text tower: the radial view and zero-shot need one', { file });
  if (!model.description.tokenizer)
    throw new CladeError('model.json records no tokenizer', { file, field: 'description.tokenizer' });
  const tokenizer = tokenizerFromJSON(model.description.tokenizer, tower.inputs.ids.shape[1], file);
  const texts = ['', ...nodes.map(nodeText)];
  const tok = tokenizer.encode(texts);
  const e = await runTower(
    modelDir,
    'text',
    { ids: BigInt64Array.from(tok.ids, BigInt), eot: BigInt64Array.from(tok.eotIndex, BigInt) },
    texts.length,
  );
  let logitScale = 100;
  const weights = join(modelDir, 'weights.safetensors');
  if (existsSync(weights)) {
    const t = readSafetensors(weights).get('logitScale');
    if (t && t.data.length === 1) logitScale = Math.exp(Number(t.data[0]));
  }
  return {
    root: e.data.slice(0, e.d),
    lineages: nodes,
    embeddings: { data: e.data.slice(e.d), n: nodes.length, d: e.d },
    logitScale,
  };
}

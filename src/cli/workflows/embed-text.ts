/**
 * `clade embed --tower text`: texts (a .txt file, one per line, or a dataset's captions) through a model
 * directory's text tower, tokenised with the tokenizer model.json records.
 */
import { tokenizerFromJSON } from '../../data/tokenizers/load-tokenizer.ts';
import { unknownWordsWarning } from '../../data/tokenizers/unknown-words.ts';
import type { Sample } from '../../data/types.ts';
import { readModelJson, runTower } from '../../train/model-dir.ts';
import { CladeError } from '../../util/errors.ts';
import type { EmbedData } from './embed-data.ts';
import type { EmbedResult } from './embed-dataset.ts';

/** The text of a sample: `texts[textType]` when asked for (e.g. `taxon`, `sci_com`), else its first caption. */
function textOf(s: Sample, textType: string | undefined): string {
  if (textType !== undefined) {
    const t = s.texts?.[textType];
    if (t === undefined)
      throw new CladeError(
        `no '${textType}' text (has: ${Object.keys(s.texts ?? {}).join(', ') || 'none'})`,
        { sample: s.id },
      );
    return t;
  }
  const c = s.captions?.[0];
  if (c === undefined) throw new CladeError('sample has no caption', { sample: s.id });
  return c;
}

/**
 * Embed the texts of a dataset with the model's text tower (inputs `ids` [B, T] and `eot` [B]).
 *
 * @example
 * const r = await embedTexts('runs/x/model', await resolveEmbedData('classes.txt'), {});
 */
export async function embedTexts(
  modelDir: string,
  data: EmbedData,
  o: { limit?: number; textType?: string; onProgress?: (done: number, total: number) => void },
): Promise<EmbedResult> {
  const model = readModelJson(modelDir);
  const file = `${modelDir}/model.json`;
  const tower = model.towers.text;
  if (!tower)
    throw new CladeError(`model has no text tower (has: ${Object.keys(model.towers).join(', ')})`, { file });
  if (!tower.inputs.ids || !tower.inputs.eot)
    throw new CladeError(
      `expected text tower inputs 'ids' and 'eot', got ${Object.keys(tower.inputs).join(', ')}`,
      {
        file,
      },
    );
  if (!model.description.tokenizer)
    throw new CladeError('model.json records no tokenizer', { file, field: 'description.tokenizer' });
  const tokenizer = tokenizerFromJSON(model.description.tokenizer, tower.inputs.ids.shape[1], file);
  const ds = data.dataset;
  const n = Math.min(ds.length, o.limit ?? Infinity);
  const texts: string[] = [];
  const ids: string[] = [];
  const labels = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const s = ds.get(i);
    texts.push(textOf(s, o.textType));
    ids.push(s.id);
    if (s.label !== undefined && s.label >= 0) labels[i] = s.label;
  }
  const unknown = unknownWordsWarning(tokenizer, texts, 'texts');
  if (unknown) console.error(`clade embed: ${unknown}`);
  const tok = tokenizer.encode(texts);
  const embeddings = await runTower(
    modelDir,
    'text',
    { ids: BigInt64Array.from(tok.ids, BigInt), eot: BigInt64Array.from(tok.eotIndex, BigInt) },
    n,
    (done) => o.onProgress?.(done, n),
  );
  return { embeddings, ids, labels };
}

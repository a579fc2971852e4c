/**
 * `clade zeroshot --class-text MODEL`: class-text embeddings computed with a model's text tower from the class table's
 * names (templates averaged; cached next to the model), so zero-shot needs only image embeddings and a class list.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { unknownWordsWarning } from '../data/tokenizers/unknown-words.ts';
import { column, readMetaTable } from '../io/metadata.ts';
import { CladeError } from '../util/errors.ts';
import { classTextEmbeddings } from './class-text-cache.ts';
import { isOpenClipFolder } from '../checkpoints/open-clip-folder.ts';
import { openModel } from './open-model.ts';
import { resolveTemplates } from './predict.ts';

/** True for an open_clip folder or a clade model directory (rather than an embeddings file). */
export const isModelPath = (p: string): boolean => isOpenClipFolder(p) || existsSync(join(p, 'model.json'));

/**
 * When `classText` is a model: embed the class names (column `classCol` of `classes`) under `templates` (default
 * `openai`) and return the cache file (tensor `classes`, one unit row per class) and the model's logit scale.
 * Otherwise null (an embeddings file: use it as is).
 *
 * @example
 * const m = await classTextFromModel('models/bioclip-2', 'classes.csv', 'name'); // { file, tensor: 'classes', scale: 100 }
 */
export async function classTextFromModel(
  classText: string,
  classes: string,
  classCol: string,
  templates = 'openai',
): Promise<{ file: string; tensor: string; scale: number } | null> {
  if (!isModelPath(classText)) return null;
  const names = column(await readMetaTable(classes), classCol).map((v, i) => {
    if (v === null) throw new CladeError(`empty class name`, { file: classes, row: i + 2, column: classCol });
    return String(v);
  });
  const model = await openModel(classText);
  const unknown = unknownWordsWarning(model.tokenizer, names, 'class names');
  if (unknown) console.error(`clade zeroshot: ${unknown}`);
  try {
    const { file } = await classTextEmbeddings(model, names, resolveTemplates(templates));
    return { file, tensor: 'classes', scale: model.scale };
  } finally {
    await model.release();
  }
}

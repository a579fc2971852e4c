/**
 * `clade import`: an open_clip folder → a clade model directory (model.json, weights.safetensors, image.onnx,
 * text.onnx) whose ONNX files any onnxruntime runs without clade, giving the same embeddings.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { clipTokenizer } from '../data/tokenizers/load-tokenizer.ts';
import type { Params } from '../nn/context.ts';
import { writeModelDir, type ModelJson } from '../train/model-dir.ts';
import type { Recipe } from '../train/recipe.ts';
import { loadOpenClipFolder } from '../checkpoints/open-clip-folder.ts';
import { checkTowerSize, towerSpecs } from './towers.ts';

/**
 * Write a model directory from an open_clip folder; `batch` is the exported graphs' static batch size.
 *
 * @example
 * importOpenClip('models/bioclip-2', 'models/bioclip-2-clade'); // model.json towers: image, text
 */
export function importOpenClip(src: string, out: string, opts: { batch?: number } = {}): ModelJson {
  const m = loadOpenClipFolder(src);
  checkTowerSize(m.params.image, 'image', m.weightsFile);
  checkTowerSize(m.params.text, 'text', m.weightsFile);
  const batch = opts.batch ?? 32;
  const params = {
    image: m.params.image,
    text: m.params.text,
    logitScale: { shape: [], data: Float32Array.of(m.params.logitScale) },
    ...(m.params.logitBias !== undefined
      ? { logitBias: { shape: [], data: Float32Array.of(m.params.logitBias) } }
      : {}),
  } as unknown as Params;
  const pre = m.spec.preprocess;
  // writeModelDir needs only a recipe's name, towers and description.
  const exporter: Pick<Recipe, 'name' | 'towers' | 'describe'> = {
    name: 'open_clip',
    towers: (b) => towerSpecs(m.spec, b),
    describe: () => ({
      recipe: 'open_clip',
      source: resolve(src),
      sha256: m.sha256,
      open_clip_config: JSON.parse(readFileSync(join(src, 'open_clip_config.json'), 'utf8')),
      logitScale: m.params.logitScale,
      ...(m.params.logitBias !== undefined ? { logitBias: m.params.logitBias } : {}),
      image: {
        preprocessing: {
          size: [...pre.size],
          mean: [...pre.mean],
          std: [...pre.std],
          interpolation: pre.interpolation,
          resizeMode: pre.resizeMode,
          fillColor: pre.fillColor,
        },
      },
      tokenizer: clipTokenizer(m.spec.text.context).toJSON(),
    }),
  };
  return writeModelDir(out, exporter as Recipe, params, batch);
}

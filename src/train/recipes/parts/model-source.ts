/**
 * Starting a recipe from a trained model directory (`model.json` + `weights.safetensors`, see model-dir.ts): its
 * recipe name, config, tokenizer and weights, and copying a subtree of those weights into fresh parameters.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WordTokenizer, type WordTokenizerJson } from '../../../data/tokenizers/word-tokenizer.ts';
import { mapTree } from '../../../engine/tree.ts';
import { readSafetensors } from '../../../io/safetensors.ts';
import type { HostTensor, Params } from '../../../nn/context.ts';
import { isHostTensor } from '../../../nn/param-tree.ts';
import { CladeError } from '../../../util/errors.ts';

export interface ModelSource {
  readonly dir: string;
  readonly recipe: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly tokenizer: WordTokenizer;
  /** Every tensor of weights.safetensors by tree path (`image.convs.0.w`, `text.proj`, …). */
  readonly weights: ReadonlyMap<string, HostTensor>;
}

/** The model-directory config fields a recipe takes from its `from` (the towers' dims), when present. */
export function configFrom<K extends string>(
  src: ModelSource | null,
  keys: readonly K[],
): Partial<Record<K, unknown>> {
  if (!src) return {};
  return Object.fromEntries(keys.filter((k) => k in src.config).map((k) => [k, src.config[k]])) as Partial<
    Record<K, unknown>
  >;
}

/**
 * Read a model directory written by `writeModelDir`, accepting only the listed recipes (whose towers the caller
 * knows how to reuse); errors name the directory and what was found.
 */
export function readModelSource(dir: string, accept: readonly string[], user: string): ModelSource {
  let json: {
    description?: { recipe?: string; config?: Record<string, unknown>; tokenizer?: WordTokenizerJson };
  };
  try {
    json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  } catch (e) {
    throw new CladeError(`cannot read model.json: ${(e as Error).message}`, { file: dir });
  }
  const d = json.description ?? {};
  if (!accept.includes(d.recipe ?? '') || !d.tokenizer || !d.config)
    throw new CladeError(`${user} starts from a ${accept.join(' / ')} model, got '${d.recipe}'`, {
      file: dir,
    });
  const weights = new Map<string, HostTensor>();
  for (const [k, v] of readSafetensors(join(dir, 'weights.safetensors')))
    weights.set(k, { shape: v.shape, data: Float32Array.from(v.data as Float32Array) });
  return {
    dir,
    recipe: d.recipe!,
    config: d.config,
    tokenizer: WordTokenizer.fromJSON(d.tokenizer),
    weights,
  };
}

/**
 * A copy of `tree` (the parameters under `prefix`) with every leaf taken from `src.weights[prefix.path]`; a leaf
 * missing from the file or of another size is an error naming it.
 */
export function loadSubtree<P extends Params>(tree: P, src: ModelSource, prefix: string): P {
  const loaded = mapTree<HostTensor, HostTensor>(
    tree,
    (h, path) => {
      const w = src.weights.get(path);
      if (!w || w.data.length !== h.data.length)
        throw new CladeError(`weight '${path}' is missing or of another shape than [${h.shape}]`, {
          file: src.dir,
        });
      return { shape: [...h.shape], data: w.data.slice() };
    },
    prefix,
    isHostTensor,
  );
  return loaded as P; // the same tree, leaf for leaf
}

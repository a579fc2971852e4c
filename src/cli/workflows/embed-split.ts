import type { Pipeline } from '../../data/loader/loader-types.ts';
import { Rng } from '../../util/rng.ts';
import type { Sample } from '../../data/types.ts';
import type { Tokenizer } from '../../data/tokenizers/tokenizer.ts';
import { runTower } from '../../train/model-dir.ts';
import type { Embeddings } from '../../io/embeddings.ts';

/** Every sample of a pipeline's dataset, transformed (eval mode: deterministic) and stacked NCHW. */
export async function stackImages(p: Pipeline): Promise<{ images: Float32Array; samples: Sample[] }> {
  const n = p.dataset.length;
  const samples: Sample[] = [];
  let images: Float32Array | null = null;
  let per = 0;
  for (let i = 0; i < n; i++) {
    const s = await p.dataset.get(i);
    const item = await p.transform(s, new Rng(i));
    const v = item.views![0];
    per = v.data.length;
    images ??= new Float32Array(n * per);
    images.set(v.data, i * per);
    samples.push(s);
  }
  return { images: images ?? new Float32Array(0), samples };
}

/** Image embeddings of a stacked image array through a model directory's image tower. */
export async function embedImages(modelDir: string, images: Float32Array, n: number): Promise<Embeddings> {
  return runTower(modelDir, 'image', { image: images }, n);
}

/** Text embeddings through a model directory's text tower (end-token pooled). */
export async function embedTexts(
  modelDir: string,
  tokenizer: Tokenizer,
  texts: readonly string[],
): Promise<Embeddings> {
  const tok = tokenizer.encode(texts);
  return runTower(
    modelDir,
    'text',
    { ids: BigInt64Array.from(tok.ids, BigInt), eot: BigInt64Array.from(tok.eotIndex, BigInt) },
    texts.length,
  );
}

/** Running a recipe's tower (eval mode) over host arrays, with the parameters fed as graph inputs. */
import { defineGraph } from '../../../engine/graph.ts';
import { compile, type HostArray } from '../../../engine/runtime/ort.ts';
import { input } from '../../../engine/tensor.ts';
import type { Embeddings } from '../../../io/embeddings.ts';
import { Ctx, type Params } from '../../../nn/context.ts';
import { hostFeeds, symbolicInputs, symbolicLeaves } from '../../../nn/param-tree.ts';
import type { Recipe, TowerSpec } from '../../recipe.ts';

/** Compile one tower (eval mode) and return a runner over host inputs of the tower's static batch. */
export async function towerRunner(
  params: Params,
  spec: TowerSpec,
): Promise<(feeds: Readonly<Record<string, HostArray>>) => Promise<Record<string, Float32Array>>> {
  const sym = symbolicInputs(params);
  const ins = Object.fromEntries(
    Object.entries(spec.inputs).map(([k, s]) => [k, input(k, s.shape, s.dtype ?? 'float32')]),
  );
  const outs = spec.forward(sym, ins, new Ctx(false));
  const compiled = await compile(defineGraph([...symbolicLeaves(sym), ...Object.values(ins)], outs));
  const weights = hostFeeds(params);
  return async (feeds) => (await compiled.run({ ...weights, ...feeds })) as Record<string, Float32Array>;
}

/**
 * Run a recipe's image tower over N stacked images [N, C, S, S] in batches of `batch` (the last one padded with
 * zeros), returning every output of the tower (`embedding`, and e.g. `logits`) as [N, d].
 *
 * @example
 * const { embedding } = await runImageTower(recipe, params, images, n);
 */
export async function runImageTower(
  recipe: Pick<Recipe, 'towers'>,
  params: Params,
  images: Float32Array,
  n: number,
  batch = 500,
): Promise<Record<string, Embeddings>> {
  const spec = recipe.towers(batch).image;
  const run = await towerRunner(params, spec);
  const per = spec.inputs.image.shape.slice(1).reduce((a, b) => a * b, 1);
  const result: Record<string, Embeddings> = {};
  const xb = new Float32Array(batch * per);
  for (let start = 0; start < n; start += batch) {
    const rows = Math.min(batch, n - start);
    xb.fill(0);
    xb.set(images.subarray(start * per, (start + rows) * per));
    for (const [name, v] of Object.entries(await run({ image: xb }))) {
      const d = v.length / batch;
      result[name] ??= { data: new Float32Array(n * d), n, d };
      result[name].data.set(v.subarray(0, rows * d), start * d);
    }
  }
  return result;
}

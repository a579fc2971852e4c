import { describe, expect, test } from 'vitest';
import type { HostTensor, Params } from '../../nn/context.ts';
import { Rng } from '../../util/rng.ts';
import { clipReplay, withContinualProj } from './clip-replay.ts';
import { evaluateGraph, firstBatch, lossCurve, recipeStep, slot } from '../../../test/support/recipes.ts';

const tiny = {
  perSpecies: 1,
  replayPerSpecies: 1,
  batchSize: 12,
  size: 16,
  embedDim: 8,
  imageChannels: [4, 8, 8] as [number, number, number],
  textWidth: 8,
  textDepth: 1,
  textHeads: 2,
  contextLength: 12,
};

describe('clip-replay recipe (BioCLIP 2 experience replay, §A.4)', () => {
  test('each batch = biology rows + replay rows from another stream; continualProj starts as a copy of imageProj', async () => {
    const recipe = clipReplay(tiny);
    const batch = await firstBatch(recipe);
    expect(batch.views).toHaveLength(2);
    expect(batch.captions![0]).toHaveLength(6); // five biology text types + the replay caption
    expect(batch.captions![0][5]).not.toBe(batch.captions![0][2]); // another dataset's common name
    const p = recipe.init(new Rng(0).fork('init'));
    expect([...p.continualProj.w.data]).toEqual([...p.imageProj.w.data]);
    expect(p.continualProj.w.data).not.toBe(p.imageProj.w.data);
    const { continualProj: _, ...loaded } = p; // a checkpoint written without the replay head
    const fixed = withContinualProj(loaded);
    expect([...fixed.continualProj.b!.data]).toEqual([...p.imageProj.b!.data]);
  });

  test('loss = bio + replay decreases; the two heads get different updates; the image tower uses the biology head', async () => {
    const recipe = clipReplay(tiny);
    const params = recipe.init(new Rng(0).fork('init'));
    const step = await recipeStep(recipe, params);
    const feeds = recipe.feeds(await firstBatch(recipe), 0);
    const first = await step.run(feeds, 3e-3);
    expect(first.loss).toBeCloseTo(first.metrics.bio + first.metrics.replay, 4);
    expect(slot(step, 'continualProj.w')).not.toEqual(slot(step, 'imageProj.w'));
    const curve = await lossCurve(step, feeds, 6, 3e-3);
    expect(curve[curve.length - 1]).toBeLessThan(first.loss);

    const n = 3;
    const x = new Float32Array(n * 3 * 16 * 16).map((_, i) => Math.sin(i));
    const spec = recipe.towers(n).image;
    const embed = (p: typeof params) =>
      evaluateGraph(
        p,
        { image: { shape: [n, 3, 16, 16] } },
        { image: x },
        (sp, b, ctx) => spec.forward(sp, b, ctx),
        false,
      );
    const a = await embed(params);
    const other = { ...params, continualProj: recipe.init(new Rng(9).fork('init')).imageProj };
    const b = await embed(other);
    expect([...b.embedding]).toEqual([...a.embedding]);
  });
});

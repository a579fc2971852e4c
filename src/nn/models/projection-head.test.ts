import { expect, test } from 'vitest';
import { input } from '../../engine/tensor.ts';
import { Rng } from '../../util/rng.ts';
import { batchNorm } from '../batch-norm.ts';
import { Ctx, paramInputs } from '../context.ts';
import { linear } from '../linear.ts';
import { parameterCount } from '../parameter-count.ts';
import { maxRelDiff, leaves, paramFeeds, runReference } from '../testing/feeds.ts';
import { projectionHead } from './projection-head.ts';

test('projection head = Linear → BatchNorm1d → ReLU → Linear; parameter count', () => {
  expect(parameterCount(projectionHead({ inDim: 512, hidden: 2048, outDim: 128 }).init(new Rng(0)))).toBe(
    1_316_992,
  );
  const head = projectionHead({ inDim: 3, hidden: 4, outDim: 2 });
  const rng = new Rng(23);
  const host = head.init(rng);
  const p = paramInputs(host, 'head');
  const x = input('x', [5, 3]);
  const ctx = new Ctx(true);
  const y = head.apply(p, x, ctx);
  expect([...ctx.updates.keys()]).toEqual([
    'head.layers.0.norm.running_mean',
    'head.layers.0.norm.running_var',
  ]);
  const [l0, l1] = p.layers;
  const want = linear.apply(
    l1.linear,
    batchNorm.apply(l0.norm as never, linear.apply(l0.linear, x), new Ctx(true)).relu(),
  );
  const r = runReference(
    [x, ...leaves(p)],
    { y, want },
    { x: rng.normalArray(15), ...paramFeeds(host, 'head') },
  );
  expect(maxRelDiff(r.y.data, r.want.data)).toBeLessThan(1e-12);
});

import { expect, test } from 'vitest';
import { batchNorm } from './batch-norm.ts';
import { linear } from './linear.ts';
import { parameterCount } from './parameter-count.ts';
import { Rng } from '../util/rng.ts';

test('parameterCount counts trainable leaves and leaves out BatchNorm buffers unless asked', () => {
  const tree = {
    fc: linear.init(new Rng(0), 3, 4),
    bn: batchNorm.init(4),
    nested: [batchNorm.init(2, { affine: false })],
  };
  expect(parameterCount(tree)).toBe(12 + 4 + 8);
  expect(parameterCount(tree, { includeBuffers: true })).toBe(12 + 4 + 8 + 8 + 4);
});

import { expect, test } from 'vitest';
import { CladeError } from '../../util/errors.ts';
import { collate } from './collate.ts';
import { produceBatch } from './produce.ts';
import type { Item, Pipeline } from './loader-types.ts';

const view = (v: number) => ({ data: new Float32Array(2 * 2 * 2).fill(v), channels: 2, height: 2, width: 2 });

test('collate stacks views [B, C, H, W], labels (-1 when absent), tokens [B, T], tabular [B, F]', () => {
  const items: Item[] = [
    { views: [view(1), view(10)], label: 3, tokens: Int32Array.of(1, 2), tabular: [Float32Array.of(0.5)] },
    { views: [view(2), view(20)], tokens: Int32Array.of(3, 4), tabular: [Float32Array.of(1.5)] },
  ];
  const b = collate(items, { epoch: 0, step: 0, indices: Int32Array.of(7, 8) });
  expect(b.viewShape).toEqual([2, 2, 2]);
  expect(Array.from(b.views[0])).toEqual([...Array(8).fill(1), ...Array(8).fill(2)]);
  expect(Array.from(b.views[1])).toEqual([...Array(8).fill(10), ...Array(8).fill(20)]);
  expect(Array.from(b.labels!)).toEqual([3, -1]);
  expect(Array.from(b.tokens!)).toEqual([1, 2, 3, 4]);
  expect(Array.from(b.tabular![0])).toEqual([0.5, 1.5]);
  expect(() =>
    collate([items[0], { ...items[1], tokens: Int32Array.of(1) }], {
      epoch: 0,
      step: 0,
      indices: Int32Array.of(7, 8),
    }),
  ).toThrow(CladeError);
});

test('views written into ctx.viewSlot land in the batch buffer; transforms ignoring ctx are copied', async () => {
  const mk = (useSlot: boolean): Pipeline => ({
    dataset: { name: 't', length: 3, get: (i) => ({ index: i, id: String(i) }) },
    transform: (s, _rng, ctx) => {
      const data = useSlot && ctx ? ctx.viewSlot(0, 4) : new Float32Array(4);
      data.fill(s.index + 1);
      return { views: [{ data, channels: 1, height: 2, width: 2 }] };
    },
  });
  for (const useSlot of [true, false]) {
    const b = await produceBatch(mk(useSlot), 0, 0, 0, Int32Array.of(2, 0, 1));
    expect(Array.from(b.views[0])).toEqual([3, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2]);
  }
});

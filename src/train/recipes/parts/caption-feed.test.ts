import { expect, test } from 'vitest';
import type { Batch } from '../../../data/loader/loader-types.ts';
import { TEXT_TYPES } from '../../../data/taxonomy/text-types.ts';
import { captionFeed } from './caption-feed.ts';

// Each row carries its five captions (TEXT_TYPES order); the feed picks one per row by the schedule.
const batch = {
  captions: Array.from({ length: 4 }, (_, i) => TEXT_TYPES.map((t) => `${t} ${i}`)),
} as unknown as Batch;
const seen = (textTypes?: (typeof TEXT_TYPES)[number][]) => {
  const texts: string[] = [];
  const feed = captionFeed({ seed: 1, mixing: 'perSample', textTypes }, 4, (t) => {
    texts.push(...t);
    return { ids: new BigInt64Array(0), eot: new BigInt64Array(0) };
  });
  for (let step = 0; step < 40; step++) feed(batch, step);
  return new Set(texts.map((t) => t.split(' ')[0]));
};

test('captions are drawn from every text type by default, and only from `textTypes` when given', () => {
  expect([...seen()].sort()).toEqual([...TEXT_TYPES].sort());
  expect([...seen(['com'])]).toEqual(['com']);
  expect([...seen(['sci', 'taxon'])].sort()).toEqual(['sci', 'taxon']);
});

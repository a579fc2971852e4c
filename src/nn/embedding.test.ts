import { expect, test } from 'vitest';
import { input } from '../engine/tensor.ts';
import { Rng } from '../util/rng.ts';
import { paramInputs } from './context.ts';
import { embedding } from './embedding.ts';
import { gradCheck } from './testing/grad-check.ts';
import { paramFeeds, runReference } from './testing/feeds.ts';

test('embedding: rows picked by int64 ids; std option', () => {
  const rng = new Rng(5);
  const host = embedding.init(rng, 6, 3);
  const small = embedding.init(rng, 1000, 4, { std: 0.02 });
  const sd = Math.sqrt(small.table.data.reduce((a, v) => a + v * v, 0) / small.table.data.length);
  expect(sd).toBeGreaterThan(0.018);
  expect(sd).toBeLessThan(0.022);
  const p = paramInputs(host);
  const ids = input('ids', [2, 3], 'int64');
  const idv = BigInt64Array.from([5n, 0n, 5n, 2n, 1n, 3n]);
  const e = runReference([ids, p.table], { e: embedding.apply(p, ids) }, { ids: idv, ...paramFeeds(host) }).e;
  expect(e.shape).toEqual([2, 3, 3]);
  idv.forEach((id, r) => {
    for (let d = 0; d < 3; d++) expect(e.data[r * 3 + d]).toBeCloseTo(host.table.data[Number(id) * 3 + d], 6);
  });
});

test('embedding: table gradient (scatter-add, repeated ids) matches finite differences', () => {
  const rng = new Rng(6);
  const host = embedding.init(rng, 4, 2);
  const p = paramInputs(host);
  const ids = input('ids', [5], 'int64');
  const report = gradCheck(
    [ids, p.table],
    embedding.apply(p, ids),
    { ids: BigInt64Array.from([1n, 3n, 1n, 0n, 1n]), ...paramFeeds(host) },
    [p.table],
    { samples: 8 },
  );
  expect(report.table).toBeLessThan(1e-6);
});

import { expect, test } from 'vitest';
import { input } from '../../engine/tensor.ts';
import { Rng } from '../../util/rng.ts';
import { Ctx, paramInputs } from '../context.ts';
import { parameterCount } from '../parameter-count.ts';
import { gradCheck } from '../testing/grad-check.ts';
import { ortVsReference } from '../testing/ort-check.ts';
import { leaves, maxRelDiff, paramFeeds, runReference } from '../testing/feeds.ts';
import { gatherPositions, textTransformer } from './text-transformer.ts';

test('benchmark text transformer (d: vocab 8192, context 32, width 256, 4 layers) parameter count', () => {
  const m = textTransformer({ vocab: 8192, context: 32, width: 256, depth: 4, heads: 4, outDim: 256 });
  const host = m.init(new Rng(0));
  const d = 256;
  const block = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (4 * d * d + 4 * d) + (4 * d * d + d);
  expect(parameterCount(host)).toBe(8192 * d + 32 * d + 4 * block + 2 * d + d * 256);
  expect(parameterCount(host)).toBe(5_330_432);
  const y = m.apply(
    paramInputs(host),
    input('ids', [2, 32], 'int64'),
    new Ctx(true),
    input('eot', [2], 'int64'),
  );
  expect(y.shape).toEqual([2, 256]);
});

test('gatherPositions picks row eot[b] of sequence b', () => {
  const x = input('x', [2, 3, 2]);
  const eot = input('eot', [2], 'int64');
  const xs = Float32Array.from({ length: 12 }, (_, i) => i);
  const r = runReference(
    [x, eot],
    { y: gatherPositions(x, eot) },
    { x: xs, eot: BigInt64Array.from([2n, 1n]) },
  );
  expect(Array.from(r.y.data)).toEqual([4, 5, 8, 9]);
});

const tiny = textTransformer({ vocab: 7, context: 4, width: 4, depth: 1, heads: 2, mlp: 6, outDim: 3 });

test('pooled at the end-of-text token of a causal model: later tokens do not matter, earlier ones do', () => {
  const rng = new Rng(40);
  const host = tiny.init(rng);
  const p = paramInputs(host);
  const ids = input('ids', [2, 4], 'int64');
  const eot = input('eot', [2], 'int64');
  const y = tiny.apply(p, ids, new Ctx(false), eot);
  const run = (v: bigint[]) =>
    runReference(
      [ids, eot, ...leaves(p)],
      { y },
      { ids: BigInt64Array.from(v), eot: BigInt64Array.from([2n, 1n]), ...paramFeeds(host) },
    ).y.data;
  const base = run([1n, 2n, 3n, 4n, 5n, 6n, 1n, 2n]);
  const later = run([1n, 2n, 3n, 0n, 5n, 6n, 0n, 0n]);
  const earlier = run([1n, 0n, 3n, 4n, 5n, 6n, 1n, 2n]);
  expect(maxRelDiff(later, base)).toBeLessThan(1e-12);
  expect(maxRelDiff(earlier.slice(0, 3), base.slice(0, 3))).toBeGreaterThan(1e-3);
  expect(maxRelDiff(earlier.slice(3), base.slice(3))).toBeLessThan(1e-12);
});

test('tiny text transformer gradients (incl. embedding scatter-add) match finite differences', () => {
  const rng = new Rng(41);
  const host = tiny.init(rng);
  const p = paramInputs(host);
  const ids = input('ids', [2, 3], 'int64');
  const eot = input('eot', [2], 'int64');
  const feeds = {
    ids: BigInt64Array.from([1n, 2n, 1n, 5n, 6n, 0n]),
    eot: BigInt64Array.from([2n, 1n]),
    ...paramFeeds(host),
  };
  const report = gradCheck(
    [ids, eot, ...leaves(p)],
    tiny.apply(p, ids, new Ctx(false), eot),
    feeds,
    leaves(p),
    { samples: 3 },
  );
  for (const [k, v] of Object.entries(report)) expect(v, k).toBeLessThan(1e-6);
});

test('small text transformer forward and gradients on ONNX Runtime equal the float64 reference', async () => {
  const m = textTransformer({ vocab: 11, context: 6, width: 8, depth: 2, heads: 2, outDim: 4 });
  const rng = new Rng(42);
  const host = m.init(rng);
  const p = paramInputs(host, 'text');
  const ids = input('ids', [3, 6], 'int64');
  const eot = input('eot', [3], 'int64');
  const ins = [ids, eot, ...leaves(p)];
  const outputs = { y: m.apply(p, ids, new Ctx(false), eot) };
  const feeds = {
    ids: BigInt64Array.from({ length: 18 }, () => BigInt(rng.int(11))),
    eot: BigInt64Array.from([5n, 0n, 3n]),
    ...paramFeeds(host, 'text'),
  };
  const diffs = await ortVsReference(ins, outputs, feeds, leaves(p));
  expect(Object.keys(diffs)).toHaveLength(1 + leaves(p).length);
  for (const [k, v] of Object.entries(diffs)) expect(v, k).toBeLessThan(1e-4);
});

test('text transformer rejects float ids, sequences longer than the context and a bad eot', () => {
  const p = paramInputs(tiny.init(new Rng(0)));
  const eot = input('eot', [2], 'int64');
  expect(() => tiny.apply(p, input('ids', [2, 3]), new Ctx(false), eot)).toThrow(/ids must be int64/);
  expect(() => tiny.apply(p, input('ids', [2, 5], 'int64'), new Ctx(false), eot)).toThrow(/T ≤ 4/);
  expect(() =>
    tiny.apply(p, input('ids', [2, 3], 'int64'), new Ctx(false), input('e', [3], 'int64')),
  ).toThrow(/eot must be int64 \[2\]/);
});

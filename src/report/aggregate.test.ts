import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { aggregateResults, tableToCsv, tableToMarkdown } from './aggregate.ts';
import { describeBytes, makeResult, readResults, writeResult } from './result-files.ts';
import { formatSummaryTable } from './summary-table.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-agg-'));
const runs = join(dir, 'runs');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Minimal RFC 4180 parser for checking our CSV. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') ((cell += '"'), i++);
      else if (c === '"') q = false;
      else cell += c;
    } else if (c === '"') q = true;
    else if (c === ',') (row.push(cell), (cell = ''));
    else if (c === '\n') (row.push(cell), rows.push(row), (row = []), (cell = ''));
    else cell += c;
  }
  return rows;
}

beforeAll(() => {
  const emb = describeBytes('model-a/emb.npy', new Uint8Array([1]));
  const emb2 = describeBytes('model-b/emb.npy', new Uint8Array([2]));
  const createdAt = '2026-11-22T00:00:00.000Z';
  for (const [model, input, top1] of [
    ['a', emb, 0.81],
    ['b', emb2, 0.7],
  ] as const) {
    writeResult(
      runs,
      makeResult({
        kind: 'knn',
        name: `model-${model}`,
        createdAt,
        inputs: [input],
        params: { k: 200, T: 0.1 },
        timings: { knn: 1, load: 0.5 },
        metrics: { top1, top5: 0.95 },
      }),
    );
    writeResult(
      runs,
      makeResult({
        kind: 'zeroshot',
        name: `model-${model}`,
        createdAt,
        inputs: [input],
        params: { templates: 'a photo of a {}, "quoted"', top1: 'param-clash' },
        metrics: { top1: top1 - 0.2, accuracy: { genus: 0.9, species: top1 - 0.2 }, folds: [0.1, 0.2] },
      }),
    );
  }
});

describe('aggregateResults', () => {
  test('one row per result; params then scalar metrics; records flattened; lists left out; clashes prefixed', () => {
    const t = aggregateResults(readResults(runs));
    expect(t.rows).toHaveLength(4);
    expect(t.columns.slice(0, 5)).toEqual(['file', 'kind', 'name', 'inputs', 'createdAt']);
    expect(t.columns).toEqual(
      expect.arrayContaining([
        'k',
        'T',
        'templates',
        'params.top1',
        'metrics.top1',
        'top5',
        'accuracy.genus',
        'accuracy.species',
        'time',
      ]),
    );
    expect(t.columns).not.toContain('folds');
    const knnA = t.rows.find((r) => r.kind === 'knn' && r.name === 'model-a')!;
    expect(knnA).toMatchObject({
      k: 200,
      T: 0.1,
      'metrics.top1': 0.81,
      top5: 0.95,
      time: 1.5,
      'accuracy.genus': null,
      inputs: 'emb.npy',
    });
    const zsB = t.rows.find((r) => r.kind === 'zeroshot' && r.name === 'model-b')!;
    expect(zsB['accuracy.species']).toBeCloseTo(0.5);
    expect(zsB['params.top1']).toBe('param-clash');
    expect(zsB.time).toBeNull();
  });

  test('CSV round-trips through a CSV parser, quoting commas and quotes', () => {
    const t = aggregateResults(readResults(runs));
    const rows = parseCsv(tableToCsv(t));
    expect(rows[0]).toEqual(t.columns);
    expect(rows).toHaveLength(5);
    const col = (name: string) => rows[0].indexOf(name);
    const zs = rows.find((r) => r[col('kind')] === 'zeroshot')!;
    expect(zs[col('templates')]).toBe('a photo of a {}, "quoted"');
    expect(zs[col('k')]).toBe('');
    const knn = rows.find((r) => r[col('kind')] === 'knn' && r[col('name')] === 'model-a')!;
    expect(Number(knn[col('metrics.top1')])).toBe(0.81);
  });

  test('Markdown: header, alignment row, one line per result, pipes escaped', () => {
    const t = aggregateResults([
      makeResult({ kind: 'knn', name: 'a|b', metrics: { top1: 0.5 }, params: { k: 5 } }),
    ]);
    const lines = tableToMarkdown(t).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\| kind +\| name +\| inputs +\| createdAt +\| +k \| +top1 \|$/);
    expect(lines[1]).toMatch(/^\| -+ \| -+ \| -+ \| -+ \| -+: \| -+: \|$/);
    expect(lines[2]).toContain('a\\|b');
    expect(lines[2]).toMatch(/\| +5 \| +0\.5000 \|$/);
  });
});

test('formatSummaryTable: one block per result, aligned columns', () => {
  const text = formatSummaryTable(readResults(runs));
  const lines = text.split('\n');
  expect(lines[0]).toMatch(/^result +kind +metric +value +time$/);
  expect(lines.filter((l) => /^model-a +knn +top1 +0\.8100 +1\.5s$/.test(l))).toHaveLength(1);
  expect(text).toContain('accuracy.genus');
  expect(text).toMatch(/folds +0\.1500 ± 0\.0500 \(n=2\)/);
  const lens = new Set(lines.slice(0, 2).map((l) => l.length));
  expect(lens.size).toBe(1);
});

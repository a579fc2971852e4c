import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { describeBytes, makeResult, writeResult } from '../../report/result-files.ts';
import { run as resultsCli } from './results.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-results-cli-'));
const runs = join(dir, 'runs');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

beforeAll(() => {
  for (const [i, kind] of ['knn', 'knn', 'zeroshot', 'rld'].entries())
    writeResult(
      runs,
      makeResult({
        kind,
        name: `m${i}`,
        inputs: [describeBytes(`e${i}.npy`, new Uint8Array([i]))],
        params: { k: 10 + i, note: 'a, "b"' },
        metrics: { top1: 0.5 + i / 10 },
      }),
    );
});

const csvLines = (s: string) => s.trimEnd().split('\n');

describe('clade results', () => {
  test('aggregate --out table.csv and table.md write the tables', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const csv = join(dir, 'out', 'table.csv');
    const md = join(dir, 'out', 'table.md');
    expect(await resultsCli(['aggregate', runs, '--out', csv])).toBe(0);
    expect(await resultsCli(['aggregate', runs, '--out', md])).toBe(0);
    const csvText = readFileSync(csv, 'utf8');
    expect(csvLines(csvText)).toHaveLength(5);
    expect(csvText).toContain(`"a, ""b"""`);
    const mdText = readFileSync(md, 'utf8');
    expect(mdText.split('\n')[0]).toContain('| file');
    expect(mdText.trimEnd().split('\n')).toHaveLength(6);
  });

  test('prints Markdown to stdout without --out; bad input and usage give exit codes 1 and 2', async () => {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    expect(await resultsCli(['aggregate', runs])).toBe(0);
    expect(out.join('')).toMatch(/^\| file +\| kind/);
    expect(await resultsCli(['aggregate', join(dir, 'missing')])).toBe(1);
    expect(err.join('')).toContain('missing: no such file or directory');
    expect(await resultsCli(['aggregate', runs, '--out', join(dir, 't.xlsx')])).toBe(1);
    expect(await resultsCli(['frobnicate', runs])).toBe(2);
    expect(await resultsCli(['aggregate'])).toBe(2);
    out.length = 0;
    expect(await resultsCli(['validate', runs])).toBe(0);
    expect(out.join('')).toContain('4 result file(s) valid');
  });
});

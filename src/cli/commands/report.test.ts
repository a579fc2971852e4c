import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, test, vi } from 'vitest';
import { writeResult } from '../../report/result-files.ts';
import { sampleResults } from '../../report/sample-results.ts';
import { run as reportCli } from './report.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-report-cli-'));
const runs = join(dir, 'runs');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());
beforeAll(() => {
  for (const r of sampleResults(0)) writeResult(runs, r);
});

test('clade report <dir> --out --color-by writes the HTML report', async () => {
  const err: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  const out = join(dir, 'report.html');
  expect(await reportCli([runs, '--out', out, '--color-by', 'family', '--title', 'Demo run'])).toBe(0);
  const html = readFileSync(out, 'utf8');
  expect(html).toContain('<title>Demo run</title>');
  expect(html).toMatch(
    /<figure class="clade-plot" id="plot-projection-0" data-plot="projection" data-color-by="family">/,
  );
  expect((html.match(/<figure class="clade-plot"/g) ?? []).length).toBe(7);
  expect(err.join('')).toContain('(5 results, 7 plots)');
});

test('bad input exits 1 naming the problem; usage errors exit 2', async () => {
  const err: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  const out = join(dir, 'r2.html');
  expect(await reportCli([runs, '--out', out, '--color-by', 'order'])).toBe(1);
  expect(err.join('')).toContain('no labels for rank "order"');
  expect(await reportCli([runs, '--out', out, '--max-points', 'lots'])).toBe(1);
  expect(err.join('')).toContain('--max-points: expected a non-negative integer, got "lots"');
  expect(await reportCli([join(dir, 'absent')])).toBe(1);
  expect(await reportCli([])).toBe(2);
  expect(await reportCli([runs, '--colour', 'x'])).toBe(2);
});

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { readmeCommands, runReadmeCommand } from './readme-walkthrough.ts';

// npm test runs the README walk-through up to zero-shot (≈30 s of a 30-step training); the slower rest
// (analyze, results, report, explore) and `clade demo` run in readme.data.test.ts.
const FAST = ['--help', 'presets', 'train', 'export', 'embed', 'zeroshot'];
const dir = mkdtempSync(join(tmpdir(), 'clade-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the README's 'More commands' run as written, each on the files the ones before it wrote", () => {
  const commands = readmeCommands('## More commands');
  expect(commands.length).toBeGreaterThanOrEqual(11);
  for (const c of commands) {
    if (!FAST.includes(c.args[0])) continue;
    const r = runReadmeCommand(dir, c);
    expect(r.status, `${c.line}\n${r.stderr}`).toBe(0);
    expect(r.stderr, c.line).not.toMatch(/\n\s+at /); // no stack traces
  }
  for (const f of ['runs/ct/metrics.jsonl', 'models/ct/model.json', 'emb.parquet', 'meta.csv', 'classes.csv'])
    expect(existsSync(join(dir, f)), f).toBe(true);
  expect(existsSync(join(dir, 'zeroshot'))).toBe(true);
});

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { readmeCommands, runReadmeCommand } from './readme-walkthrough.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-readme-all-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("every command of the README's 'More commands' runs as written, in order", () => {
  for (const c of readmeCommands('## More commands')) {
    const r = runReadmeCommand(dir, c);
    expect(r.status, `${c.line}\n${r.stderr}`).toBe(0);
    expect(r.stderr, c.line).not.toMatch(/\n\s+at /);
  }
  for (const f of ['analysis/report.html', 'r.html', 'ex/index.html'])
    expect(existsSync(join(dir, f)), f).toBe(true);
});

test("the Quick start's `npx clade demo` runs as written", () => {
  const [demo] = readmeCommands('## Quick start');
  expect(demo.args).toEqual(['demo']);
  const r = runReadmeCommand(dir, demo);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain('report:');
});

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { ROOT, readmeCommands, runReadmeCommand } from './readme-walkthrough.ts';

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

test("docs/report.md's commands run as written on the demo run (runs/demo: the run just made)", () => {
  const made = readdirSync(join(dir, 'runs')).find((d) => d.startsWith('demo-'));
  expect(made, 'the Quick start test made runs/demo-<time>').toBeDefined();
  symlinkSync(made!, join(dir, 'runs', 'demo'));
  const doc = readFileSync(join(ROOT, 'docs/report.md'), 'utf8');
  const lines = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((m) => m[1].split('\n'))
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l.startsWith('clade '));
  expect(lines.length).toBeGreaterThanOrEqual(4);
  for (const line of lines) {
    // through a shell, as a user types it (`runs/*/` is a glob)
    const cmd = line.replace(/^clade /, `"${process.execPath}" "${join(ROOT, 'bin/clade.mjs')}" `);
    const r = spawnSync('sh', ['-c', cmd], { cwd: dir, encoding: 'utf8' });
    expect(r.status, `${line}\n${r.stderr}`).toBe(0);
  }
  expect(existsSync(join(dir, 'runs/demo/table.csv'))).toBe(true);
});

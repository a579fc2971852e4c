import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { CladeError } from '../util/errors.ts';
import { formatError, userPath } from './errors.ts';

const ROOT = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'clade-cli-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const errno = (code: string, path: string, syscall = 'open') =>
  Object.assign(new Error(`${code}: raw, ${syscall} '${path}'`), { code, path, syscall });

test('filesystem errors become one line naming the user path, not the hidden temp file', () => {
  expect(userPath('/out/.emb.npy.1234.1700000000000.tmp')).toBe('/out/emb.npy');
  expect(formatError(errno('EACCES', '/out/.emb.npy.1234.1700000000000.tmp'))).toBe(
    '/out/emb.npy: permission denied (open)',
  );
  expect(formatError(errno('EROFS', '/mnt/ro/r.html'))).toBe(
    '/mnt/ro/r.html: the file system is read-only (open)',
  );
  const e = formatError(errno('EISDIR', '/out/x'));
  expect(e).not.toContain('\n');
  expect(formatError(new CladeError('bad', { file: 'a.csv', row: 3 }))).toBe('a.csv: row 3: bad');
  expect(formatError(errno('EACCES', '/x'), true)).toContain('at '); // --debug keeps the trace
});

const clade = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, 'bin/clade.mjs'), ...args], { cwd: dir, encoding: 'utf8' });

test('`clade embed` into a directory fails at once with one line naming the path', () => {
  mkdirSync(join(dir, 'out.npy'));
  const r = clade('embed', 'no-such-model', 'synthetic-taxonomy:test', '--out', 'out.npy');
  expect(r.status).toBe(1);
  expect(r.stderr.trim()).toBe(
    'clade embed: out.npy: the output file is a directory; give a file name (e.g. out.npy/out...)',
  );
});

test('`clade report --out` under a file: one line, no stack trace, nothing computed', () => {
  const r = clade('report', 'nothing-here', '--out', 'out.npy/x/r.html');
  expect(r.status).toBe(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
});

test('the launcher says so when its child is killed, and exits 128 + signal', async () => {
  const { spawn } = await import('node:child_process');
  const { readFileSync } = await import('node:fs');
  const launcher = spawn(
    process.execPath,
    [join(ROOT, 'bin/clade.mjs'), 'train', 'demo', '--out', 'killed-run'],
    {
      cwd: dir,
    },
  );
  let stderr = '';
  launcher.stderr.on('data', (b) => (stderr += b));
  const exited = new Promise<number | null>((r) => launcher.once('exit', (code) => r(code)));
  let child = 0;
  for (let i = 0; i < 100 && !child; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const kids = readFileSync(`/proc/${launcher.pid}/task/${launcher.pid}/children`, 'utf8').trim();
    child = Number(kids.split(' ')[0]) || 0;
  }
  expect(child).toBeGreaterThan(0);
  process.kill(child, 'SIGKILL');
  expect(await exited).toBe(137);
  expect(stderr).toContain('clade: stopped by SIGKILL (killed, e.g. out of memory)');
});

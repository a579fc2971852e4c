import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { acquireRunLock } from './run-lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lockOf = (pid: number) =>
  JSON.stringify({ pid, host: hostname(), started: '2026-01-01T00:00:00.000Z', command: 'clade train' });

test('a held lock refuses a second owner, in this process or another live one; release frees it', async () => {
  const run = join(dir, 'a');
  const lock = acquireRunLock(run);
  expect(JSON.parse(readFileSync(join(run, '.lock'), 'utf8')).pid).toBe(process.pid);
  expect(() => acquireRunLock(run)).toThrow(`in use by clade train (pid ${process.pid}`);
  lock.release();
  expect(existsSync(join(run, '.lock'))).toBe(false);

  const sleeper = spawn('sleep', ['30']);
  try {
    writeFileSync(join(run, '.lock'), lockOf(sleeper.pid!));
    expect(() => acquireRunLock(run)).toThrow(
      `${run}: in use by clade train (pid ${sleeper.pid} on ${hostname()}`,
    );
  } finally {
    sleeper.kill();
  }
});

test('a stale lock (its process is gone) or an unreadable one is taken over, saying so', () => {
  const run = join(dir, 'b');
  const dead = spawnSync('true').pid!; // has exited
  acquireRunLock(run).release();
  writeFileSync(join(run, '.lock'), lockOf(dead));
  const said: string[] = [];
  const lock = acquireRunLock(run, (l) => said.push(l));
  expect(said).toEqual([
    `taking over a stale lock: pid ${dead} (started 2026-01-01T00:00:00.000Z) is no longer running`,
  ]);
  lock.release();
  writeFileSync(join(run, '.lock'), '{"pi');
  acquireRunLock(run, (l) => said.push(l)).release();
  expect(said[1]).toContain('replacing an unreadable lock file');
});

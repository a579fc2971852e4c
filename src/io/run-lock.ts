/**
 * A run-directory lock: `<dir>/.lock` holds the owner's pid, host and start time, created exclusively, so two
 * `clade train` processes cannot write the same run at once. A lock left by a process that is no longer
 * running on this host is stale and is taken over (the caller is told).
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CladeError } from '../util/errors.ts';

export interface RunLock {
  readonly file: string;
  release(): void;
}

interface LockInfo {
  readonly pid: number;
  readonly host: string;
  readonly started: string;
  readonly command?: string;
}

/** Lock files this process holds (a second acquire from the same process is refused too). */
const held = new Set<string>();
let exitHook = false;

/** Whether a process with this pid is running (on this host). */
export function pidAlive(pid: number): boolean {
  if (!(Number.isInteger(pid) && pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(file: string): LockInfo | null {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
    return typeof j.pid === 'number' && typeof j.host === 'string' ? j : null;
  } catch {
    return null;
  }
}

/**
 * Take `<dir>/.lock` (creating `dir`), or throw a CladeError naming the process that holds it. A stale lock (its
 * process is gone, or the file is unreadable) is replaced, and `log` says so.
 *
 * @example
 * const lock = acquireRunLock('runs/ct', console.error);
 * try { ... } finally { lock.release(); }
 */
export function acquireRunLock(
  dir: string,
  log: (line: string) => void = () => {},
  command = 'clade train',
): RunLock {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, '.lock');
  const me: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const other = readLock(file);
      const mine = held.has(file);
      if (
        other &&
        (mine || (other.host === me.host ? pidAlive(other.pid) && other.pid !== process.pid : true))
      )
        throw new CladeError(
          `in use by ${other.command ?? 'another process'} (pid ${other.pid} on ${other.host}, since ${other.started}); ` +
            (other.host === me.host
              ? 'wait for it to finish or stop it'
              : `if that process is gone, delete ${file}`),
          { file: dir },
        );
      log(
        other
          ? `taking over a stale lock: pid ${other.pid} (started ${other.started}) is no longer running`
          : `replacing an unreadable lock file ${file}`,
      );
      rmSync(file, { force: true });
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(me) + '\n');
    } finally {
      closeSync(fd);
    }
    held.add(file);
    if (!exitHook) {
      exitHook = true;
      process.on('exit', () => {
        for (const f of held) rmSync(f, { force: true });
      });
    }
    return {
      file,
      release() {
        if (!held.delete(file)) return;
        if (readLock(file)?.pid === process.pid) rmSync(file, { force: true });
      },
    };
  }
  throw new CladeError('could not take the run lock (it keeps changing hands)', { file: dir });
}

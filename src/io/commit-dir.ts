/**
 * Directories written as a unit (a model directory: model.json, weights and ONNX towers that must match):
 * everything goes to a sibling temporary directory, then the previous version is moved aside and the new one
 * renamed into place. A crash leaves either the old or the new directory (the next write or `recoverDir`
 * restores the old one if the crash fell between the two renames), never a mix.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pidAlive } from './run-lock.ts';
import { faultPause } from '../util/fault-pause.ts';

const siblings = (dest: string, kind: 'tmp' | 'old') => {
  const re = new RegExp(
    `^\\.${basename(dest).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)\\.\\d+\\.${kind}$`,
  );
  try {
    return readdirSync(dirname(dest))
      .map((f) => ({ f, m: re.exec(f) }))
      .filter((x) => x.m)
      .map((x) => ({ path: join(dirname(dest), x.f), pid: Number(x.m![1]) }));
  } catch {
    return [];
  }
};

/**
 * Repair what an interrupted `writeDirAtomic` of `dir` left: a previous version moved aside while the new one
 * was not yet in place is moved back; leftovers of dead writers are removed. Returns what it did.
 *
 * @example
 * recoverDir('runs/x/model'); // e.g. ['restored runs/x/model from .model.4242.1700000000000.old']
 */
export function recoverDir(dir: string): string[] {
  const dest = resolve(dir);
  const did: string[] = [];
  for (const { path, pid } of siblings(dest, 'old')) {
    if (pidAlive(pid)) continue;
    if (!existsSync(dest)) {
      renameSync(path, dest);
      did.push(`restored ${dir} from ${basename(path)}`);
    } else rmSync(path, { recursive: true, force: true });
  }
  for (const { path, pid } of siblings(dest, 'tmp'))
    if (!pidAlive(pid)) {
      rmSync(path, { recursive: true, force: true });
      did.push(`removed ${basename(path)} (an interrupted write)`);
    }
  return did;
}

/** A directory write in progress: fill `tmp`, then `commit()` (or `abort()` on failure). */
export interface DirWrite {
  readonly tmp: string;
  commit(): void;
  abort(): void;
}

/**
 * Start writing directory `dir` as a unit: a fresh sibling temporary directory to fill, whose `commit()` moves the
 * previous version aside, renames the new one into place and removes the old one.
 *
 * @example
 * const w = beginDirWrite('out/explorer');
 * try { await fillAsync(w.tmp); w.commit(); } catch (e) { w.abort(); throw e; }
 */
export function beginDirWrite(dir: string): DirWrite {
  const dest = resolve(dir);
  mkdirSync(dirname(dest), { recursive: true });
  recoverDir(dir);
  const stamp = `${process.pid}.${Date.now()}`;
  const tmp = join(dirname(dest), `.${basename(dest)}.${stamp}.tmp`);
  const old = join(dirname(dest), `.${basename(dest)}.${stamp}.old`);
  mkdirSync(tmp);
  return {
    tmp,
    commit() {
      faultPause();
      if (existsSync(dest)) renameSync(dest, old);
      faultPause();
      renameSync(tmp, dest);
      rmSync(old, { recursive: true, force: true });
    },
    abort() {
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(dest) && existsSync(old)) renameSync(old, dest);
    },
  };
}

/**
 * Write directory `dir` as a unit: `fill(tmp)` writes every file into a fresh sibling directory, which then
 * replaces `dir` (the previous version is kept until the new one is complete).
 *
 * @example
 * writeDirAtomic('models/ct', (tmp) => writeModelFiles(tmp, ...));
 */
export function writeDirAtomic<T>(dir: string, fill: (tmp: string) => T): T {
  const w = beginDirWrite(dir);
  try {
    const out = fill(w.tmp);
    w.commit();
    return out;
  } catch (e) {
    w.abort();
    throw e;
  }
}

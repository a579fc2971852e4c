/**
 * Output paths checked before any work starts: a command that will write FILE or DIR calls `checkOutputFile` /
 * `checkOutputDir` first, so a path that cannot be written fails in a second, naming the user's path and what
 * is wrong, instead of after the computation with a raw error about a hidden temporary file.
 */
import { closeSync, constants, accessSync, openSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CladeError } from '../util/errors.ts';

/** The nearest path at or above `p` that exists (the folder `mkdir -p` would start from). */
function nearestExisting(p: string): string {
  let cur = resolve(p);
  for (;;) {
    try {
      statSync(cur);
      return cur;
    } catch {
      const up = dirname(cur);
      if (up === cur) return cur;
      cur = up;
    }
  }
}

/** A plain-language reason for a filesystem error code. */
export function describeErrno(code: string | undefined): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'EISDIR':
      return 'is a directory, expected a file';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a directory';
    case 'ENOENT':
      return 'no such file or directory';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EEXIST':
      return 'already exists';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    default:
      return code ?? 'unknown error';
  }
}

/** Whether a new file can be created in existing directory `dir` (a real probe: root ignores mode bits, not EROFS). */
function probeDir(dir: string, userPath: string, what: string): void {
  const probe = join(dir, `.clade-write-probe-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST')
      throw new CladeError(`cannot write ${what}: ${dir}: ${describeErrno(code)}`, { file: userPath });
  }
  rmSync(probe, { force: true });
}

/** The first existing ancestor must be a directory we can create entries in. */
function checkParents(path: string, userPath: string, what: string): void {
  const base = nearestExisting(path);
  if (!statSync(base).isDirectory())
    throw new CladeError(`cannot create ${what}: ${base} is a file, not a directory`, { file: userPath });
  probeDir(base, userPath, what);
}

/**
 * Check that `path` can be written as a file: not a directory, not read-only, and its folder exists or can be
 * created (the nearest existing ancestor is a writable directory). Throws a CladeError naming `path`.
 *
 * @example
 * checkOutputFile('emb.parquet'); // before embedding anything
 */
export function checkOutputFile(path: string, what = 'the output file'): void {
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(path);
  } catch {
    st = undefined;
  }
  if (st?.isDirectory())
    throw new CladeError(`${what} is a directory; give a file name (e.g. ${join(path, 'out')}...)`, {
      file: path,
    });
  if (st) {
    try {
      accessSync(path, constants.W_OK);
    } catch (e) {
      throw new CladeError(`${what} is read-only (${describeErrno((e as NodeJS.ErrnoException).code)})`, {
        file: path,
      });
    }
    probeDir(dirname(resolve(path)), path, what);
    return;
  }
  checkParents(dirname(resolve(path)), path, what);
}

/**
 * Check that `path` can be used as an output directory: it is a writable directory, or it does not exist and
 * its nearest existing ancestor is a writable directory. Throws a CladeError naming `path`.
 *
 * @example
 * checkOutputDir('runs/ct'); // before training
 */
export function checkOutputDir(path: string, what = 'the output directory'): void {
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(path);
  } catch {
    st = undefined;
  }
  if (st && !st.isDirectory())
    throw new CladeError(`${what} exists and is a file, not a directory`, { file: path });
  if (st) probeDir(resolve(path), path, what);
  else checkParents(path, path, what);
}

/**
 * An `.npy` array with a `.json` sidecar (ids, labels, metadata) committed as a pair. Both are written to
 * temporary files first; then the previous array is moved aside, the new array and the new sidecar are renamed in,
 * and the previous array is deleted. A crash at any point is repaired by `recoverNpyPair` (run by the next write
 * and by readers): before the new array is in place the old pair is restored, after it the new sidecar is rolled
 * in — so a reader sees the old pair or the new one. The sidecar also records the array's SHA-256, a last check.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CladeError } from '../util/errors.ts';
import { encodeNpy } from './npy.ts';
import { pidAlive } from './run-lock.ts';
import { removeStaleTempFiles } from './temp-files.ts';
import { faultPause } from '../util/fault-pause.ts';

/** `emb.npy` → `emb.json`. */
export const sidecarPath = (npy: string): string => npy.replace(/\.npy$/i, '') + '.json';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * Write `[N, D]` float32 `data` to `path` and `meta` (plus `npySha256`) to its sidecar.
 *
 * @example
 * writeNpyWithSidecar('emb.npy', data, [n, d], { ids, labels });
 */
export function writeNpyWithSidecar(
  path: string,
  data: Float32Array /* [N, D] */,
  shape: readonly number[],
  meta: Record<string, unknown>,
): void {
  mkdirSync(dirname(path), { recursive: true });
  recoverNpyPair(path);
  const bytes = encodeNpy(data, shape);
  const side = sidecarPath(path);
  const stamp = `${process.pid}.${Date.now()}`;
  const [npyTmp, sideTmp, old] = [
    temp(path, stamp, 'tmp'),
    temp(side, stamp, 'tmp'),
    temp(path, stamp, 'old'),
  ];
  try {
    writeFileSync(npyTmp, bytes);
    writeFileSync(sideTmp, JSON.stringify({ ...meta, npySha256: sha256(bytes) }) + '\n');
  } catch (e) {
    rmSync(npyTmp, { force: true });
    rmSync(sideTmp, { force: true });
    throw e;
  }
  faultPause();
  if (existsSync(path)) renameSync(path, old);
  faultPause();
  renameSync(npyTmp, path);
  faultPause();
  renameSync(sideTmp, side);
  rmSync(old, { force: true });
}

/** `.<name>.<stamp>.<kind>` beside `file`. */
const temp = (file: string, stamp: string, kind: 'tmp' | 'old') =>
  join(dirname(file), `.${basename(file)}.${stamp}.${kind}`);

/**
 * Repair what an interrupted `writeNpyWithSidecar` of `path` left (see the module comment); returns what it did.
 *
 * @example
 * recoverNpyPair('emb.npy'); // e.g. ['restored the previous emb.npy']
 */
export function recoverNpyPair(path: string): string[] {
  const dir = dirname(path);
  const base = basename(path);
  const side = sidecarPath(path);
  const did: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir || '.');
  } catch {
    return did;
  }
  const olds = names.filter((f) => f.startsWith(`.${base}.`) && f.endsWith('.old'));
  for (const f of olds) {
    const stamp = f.slice(base.length + 2, -'.old'.length);
    if (pidAlive(Number(stamp.split('.')[0]))) continue;
    const sideTmp = temp(side, stamp, 'tmp');
    if (!existsSync(path)) {
      renameSync(join(dir, f), path); // the new array never arrived: back to the old pair
      did.push(`restored the previous ${base}`);
    } else if (existsSync(sideTmp)) {
      renameSync(sideTmp, side); // the new array is in: its sidecar follows
      rmSync(join(dir, f), { force: true });
      did.push(`completed the interrupted write of ${base}`);
    } else rmSync(join(dir, f), { force: true });
  }
  removeStaleTempFiles(dir || '.', [base, basename(side)]);
  return did;
}

/**
 * When `path` has a sidecar written by `writeNpyWithSidecar`, check the two belong together; throws a CladeError
 * naming both files when they do not (an interrupted write or a hand-copied file).
 *
 * @example
 * checkNpySidecar('emb.npy');
 */
export function checkNpySidecar(path: string): void {
  recoverNpyPair(path);
  const side = sidecarPath(path);
  if (!existsSync(side)) return;
  let want: unknown;
  try {
    want = (JSON.parse(readFileSync(side, 'utf8')) as { npySha256?: unknown }).npySha256;
  } catch {
    return; // not our sidecar
  }
  if (typeof want !== 'string') return;
  if (sha256(readFileSync(path)) !== want)
    throw new CladeError(
      `does not match its sidecar ${side} (they come from different writes, e.g. an interrupted one): re-create both`,
      { file: path },
    );
}

/**
 * An `.npy` array with a `.json` sidecar (ids, labels, metadata) written as a pair: the sidecar records the
 * SHA-256 of the `.npy` bytes and is committed first, the array second, so a crash between the two renames
 * leaves a pair whose hashes disagree, which `checkNpySidecar` reports instead of silently mixing runs.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { CladeError } from '../util/errors.ts';
import { encodeNpy } from './npy.ts';
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
  const bytes = encodeNpy(data, shape);
  writeFileAtomic(sidecarPath(path), JSON.stringify({ ...meta, npySha256: sha256(bytes) }) + '\n');
  faultPause();
  writeFileAtomic(path, bytes);
}

/**
 * When `path` has a sidecar written by `writeNpyWithSidecar`, check the two belong together; throws a CladeError
 * naming both files when they do not (an interrupted write or a hand-copied file).
 *
 * @example
 * checkNpySidecar('emb.npy');
 */
export function checkNpySidecar(path: string): void {
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

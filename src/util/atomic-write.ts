import { mkdirSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { faultPause } from './fault-pause.ts';

/**
 * Writes a file so readers never see it half-written: data goes to a temporary file in the same directory, which
 * is then renamed over the target (rename is atomic within a file system).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    if (Array.isArray(data)) writeFileSync(tmp, Buffer.concat(data as Uint8Array[]));
    else writeFileSync(tmp, data as string | Uint8Array);
    faultPause();
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Temporary files `writeFileAtomic` leaves when its process is killed between write and rename
 * (`.<name>.<pid>.<time>.tmp`): found and removed at the next start, unless their writer is still running.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive } from './run-lock.ts';

const TEMP = /^\..+\.(\d+)\.\d+\.tmp$/;

/**
 * Remove leftover temporary files in `dir` whose writing process is gone (only those of the file names `only`,
 * when given); returns their names.
 *
 * @example
 * const removed = removeStaleTempFiles('runs/ct/checkpoints'); // ['.step-00000300.safetensors.4242.1700000000000.tmp']
 */
export function removeStaleTempFiles(dir: string, only?: readonly string[]): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const f of names) {
    const m = TEMP.exec(f);
    if (!m || pidAlive(Number(m[1]))) continue;
    if (only && !only.some((name) => f.startsWith(`.${name}.`))) continue; // its writer (or this process) may still rename it
    rmSync(join(dir, f), { force: true, recursive: true });
    removed.push(f);
  }
  return removed;
}

/**
 * JSON Lines files appended to while a process runs (metrics.jsonl): a crash can leave the last line cut
 * short. Reading drops such a torn last line (and reports it); a bad line anywhere else is an error.
 */
import { readFileSync } from 'node:fs';
import { CladeError } from '../util/errors.ts';

/**
 * Parse a JSONL file. A last line that does not parse is dropped and passed to `onTorn` (its 1-based line
 * number and text); any other bad line throws naming the file and line.
 *
 * @example
 * const rows = readJsonLines('runs/x/metrics.jsonl', (line) => console.error(`dropped torn line ${line}`));
 */
export function readJsonLines<T = unknown>(path: string, onTorn?: (line: number, text: string) => void): T[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const last = lines.reduce((k, l, i) => (l.trim() ? i : k), -1);
  const out: T[] = [];
  lines.forEach((l, i) => {
    if (!l.trim()) return;
    try {
      out.push(JSON.parse(l) as T);
    } catch (e) {
      if (i === last) onTorn?.(i + 1, l);
      else throw new CladeError(`not valid JSON (${(e as Error).message})`, { file: path, line: i + 1 });
    }
  });
  return out;
}

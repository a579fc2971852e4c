/** Reading what the CLI writes: result JSON files, metrics.jsonl, `clade embed` .npy + sidecar. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy, writeNpy } from '../../../src/io/index.ts';
import { writeFileAtomic } from '../../../src/util/atomic-write.ts';

/** A result file as `clade analyze` / `zeroshot` / `demo` write it (`<dir>/<kind>-<id>.json`). */
export interface ResultFile {
  readonly kind: string;
  readonly name?: string;
  readonly metrics: Record<string, number>;
  readonly params?: Record<string, unknown>;
  readonly timings?: Record<string, number>;
}

/** The result files of a directory, by kind (one file per kind expected). */
export function resultsByKind(dir: string): Record<string, ResultFile> {
  const out: Record<string, ResultFile> = {};
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as ResultFile;
    if (typeof r.kind === 'string' && r.metrics) out[r.kind] = r;
  }
  return out;
}

/** metrics.jsonl of a run, one object per step. */
export function readMetrics(runDir: string): Record<string, number>[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, number>);
}

/** `clade embed ... --out X.npy`: the matrix and its sidecar (ids, labels). */
export interface EmbedFile {
  readonly n: number;
  readonly d: number;
  readonly data: Float32Array;
  readonly ids: string[];
  readonly labels: number[];
}

export function readEmbedNpy(path: string): EmbedFile {
  const a = readNpy(path);
  const side = JSON.parse(readFileSync(path.replace(/\.npy$/, '.json'), 'utf8')) as {
    ids?: string[];
    labels?: number[];
  };
  const [n, d] = a.shape;
  return {
    n,
    d,
    data: a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as ArrayLike<number>),
    ids: side.ids ?? [],
    labels: side.labels ?? [],
  };
}

/** Rows of several embedding files stacked into one .npy (for one `clade analyze` call over train + test). */
export function stackNpy(out: string, parts: readonly EmbedFile[]): void {
  const d = parts[0].d;
  const n = parts.reduce((s, p) => s + p.n, 0);
  const data = new Float32Array(n * d);
  let o = 0;
  for (const p of parts) {
    if (p.d !== d) throw new Error(`cannot stack ${p.d}-d rows onto ${d}-d rows`);
    data.set(p.data, o);
    o += p.n * d;
  }
  writeNpy(out, data, [n, d]);
}

/** A CSV (header + rows), written atomically. Cells are quoted when they need it. */
export function writeCsv(
  path: string,
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): void {
  const cell = (v: string | number) => {
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const text = [header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
  writeFileAtomic(path, text);
}

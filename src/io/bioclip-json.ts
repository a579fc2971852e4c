import { readFileSync } from 'node:fs';
import { CladeError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { type Embeddings, assertFinite } from './embeddings.ts';

/**
 * Reads pybioclip's `bioclip embed` JSON, `{model, embeddings: {path: [floats]}}` (unnormalised vectors; BioCLIP 2
 * methods §A.7). Rows keep the JSON key order; ids are the image paths.
 *
 * @example
 * const { embeddings, ids, model } = readBioclipJson('embed.json');
 */
export function readBioclipJson(
  path: string,
  opts: { allowNonFinite?: boolean } = {},
): {
  embeddings: Embeddings;
  ids: string[];
  model: string | undefined;
} {
  let obj: unknown;
  try {
    obj = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CladeError(`cannot parse pybioclip embed JSON: ${(e as Error).message}`, { file: path });
  }
  const o = obj as { model?: unknown; embeddings?: unknown };
  if (
    typeof o !== 'object' ||
    o === null ||
    typeof o.embeddings !== 'object' ||
    o.embeddings === null ||
    Array.isArray(o.embeddings)
  )
    throw new CladeError("expected {model, embeddings: {path: [floats]}} with an 'embeddings' object", {
      file: path,
    });
  const entries = Object.entries(o.embeddings as Record<string, unknown>);
  const n = entries.length;
  const ids = entries.map(([k]) => k);
  let d = 0;
  let data = new Float32Array(0);
  entries.forEach(([k, v], i) => {
    if (!Array.isArray(v))
      throw new CladeError(`embedding for '${k}' is not an array`, { file: path, row: i });
    if (i === 0) {
      d = v.length;
      if (d === 0) throw new CladeError(`empty embedding for '${k}'`, { file: path, row: i });
      data = new Float32Array(n * d);
    }
    if (v.length !== d)
      throw new CladeError(`embedding for '${k}' has dimension ${v.length}, expected ${d}`, {
        file: path,
        row: i,
      });
    for (let j = 0; j < d; j++) {
      const x = v[j];
      if (typeof x !== 'number')
        throw new CladeError(`non-numeric value in column ${j} of '${k}'`, { file: path, row: i });
      data[i * d + j] = x;
    }
  });
  const embeddings = { data, n, d: Math.max(d, 1) };
  if (!opts.allowNonFinite) assertFinite(embeddings, { file: path, ids });
  return { embeddings, ids, model: typeof o.model === 'string' ? o.model : undefined };
}

/** Writes embeddings in pybioclip's `embed` JSON layout, atomically. */
export function writeBioclipJson(path: string, e: Embeddings, ids: readonly string[], model = 'clade'): void {
  if (ids.length !== e.n)
    throw new CladeError(`expected ${e.n} ids, got ${ids.length} (mismatched counts)`, { file: path });
  const embeddings: Record<string, number[]> = {};
  ids.forEach((id, i) => (embeddings[id] = Array.from(e.data.subarray(i * e.d, (i + 1) * e.d))));
  writeFileAtomic(path, JSON.stringify({ model, embeddings }));
}

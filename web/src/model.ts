import { tableFromIPC, type Table, type Vector } from 'apache-arrow';
import type { ExplorerManifest } from '../../src/explore/format.ts';
import { ROOT_DEPTH } from '../../src/explore/format.ts';
import { loadBytes, loadData } from './data.ts';

/** A categorical column: integer codes per point and the category names. */
export interface Categorical {
  readonly kind: 'categorical';
  readonly codes: Int32Array;
  readonly names: string[];
}
export interface Numeric {
  readonly kind: 'numeric';
  readonly values: Float32Array;
  readonly min: number;
  readonly max: number;
}
export type Column = Categorical | Numeric;

export interface Points {
  readonly n: number;
  readonly ids: Vector;
  readonly xy: Record<string, { x: Float32Array; y: Float32Array }>;
  readonly columns: Record<string, Column>;
}

export interface TextNodes {
  readonly depth: Float32Array;
  readonly name: string[];
  readonly key: string[];
  readonly embeddings: Float32Array; /* [M, D], L2-normalised; row 0 is the root */
}

function concatFloat(v: Vector): Float32Array {
  if (v.data.length === 1)
    return (v.data[0].values as Float32Array).subarray(v.data[0].offset, v.data[0].offset + v.length);
  return Float32Array.from(v.toArray() as Float32Array);
}

function categorical(v: Vector): Categorical {
  const names = (v.data[0].dictionary!.toArray() as string[]).map(String);
  const codes = new Int32Array(v.length);
  let o = 0;
  for (const d of v.data) {
    codes.set((d.values as Int32Array).subarray(d.offset, d.offset + d.length), o);
    o += d.length;
  }
  return { kind: 'categorical', codes, names };
}

export async function loadPoints(m: ExplorerManifest): Promise<Points> {
  const t: Table = tableFromIPC(await loadBytes('points'));
  const xy: Points['xy'] = {};
  for (const p of m.projections)
    xy[p.name] = { x: concatFloat(t.getChild(`${p.name}_x`)!), y: concatFloat(t.getChild(`${p.name}_y`)!) };
  const columns: Record<string, Column> = {};
  for (const c of m.columns) {
    const v = t.getChild(c.name)!;
    if (c.kind === 'categorical') columns[c.name] = categorical(v);
    else {
      const values = concatFloat(v);
      let min = Infinity;
      let max = -Infinity;
      for (const x of values) if (Number.isFinite(x)) ((min = Math.min(min, x)), (max = Math.max(max, x)));
      columns[c.name] = { kind: 'numeric', values, min, max };
    }
  }
  return { n: t.numRows, ids: t.getChild('id')!, xy, columns };
}

let embeddings: Promise<Float32Array> | null = null;
/** The L2-normalised embeddings [N, D], loaded on first use. */
export function loadEmbeddings(m: ExplorerManifest): Promise<Float32Array> {
  embeddings ??= (async () => {
    const out = new Float32Array(m.n * m.d);
    let row = 0;
    for (const c of m.embeddingChunks) {
      const b = await loadBytes(c.file.replace(/\.js$/, ''));
      out.set(new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4), row * m.d);
      row += c.rows;
    }
    return out;
  })();
  return embeddings;
}

export async function loadText(): Promise<TextNodes> {
  const t = tableFromIPC(await loadBytes('text'));
  const emb = t.getChild('embedding')!;
  const child = emb.data[0].children[0];
  return {
    depth: concatFloat(t.getChild('depth')!),
    name: (t.getChild('name')!.toArray() as string[]).map(String),
    key: (t.getChild('key')!.toArray() as string[]).map(String),
    embeddings: (child.values as Float32Array).subarray(
      child.offset,
      child.offset + t.numRows * (emb.type as { listSize: number }).listSize,
    ),
  };
}

export const loadManifest = () => loadData<ExplorerManifest>('manifest');
export { ROOT_DEPTH };

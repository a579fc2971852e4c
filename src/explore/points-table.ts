import {
  Dictionary,
  Float32,
  Int32,
  Table,
  Utf8,
  makeData,
  makeVector,
  tableToIPC,
  vectorFromArray,
  type Vector,
} from 'apache-arrow';
import type { Embeddings } from '../io/embeddings.ts';
import type { Cell } from '../io/metadata.ts';
import { CladeError } from '../util/errors.ts';
import type { ColumnInfo } from './format.ts';

/** Shown for a missing categorical cell. */
export const MISSING = '(none)';

/** A column is numeric when every non-empty cell is a finite number and it has more than this many values. */
const MAX_NUMERIC_AS_CATEGORY = 24;

/**
 * Classifies a metadata column: taxonomy ranks and anything with a non-numeric cell (or few distinct numbers) are
 * categorical; the rest numeric.
 */
export function columnKind(cells: readonly Cell[], isRank: boolean): ColumnInfo['kind'] {
  if (isRank) return 'categorical';
  const distinct = new Set<number>();
  for (const c of cells) {
    if (c === null || c === '') continue;
    const v = typeof c === 'number' ? c : Number(c);
    if (!Number.isFinite(v)) return 'categorical';
    distinct.add(v);
  }
  return distinct.size > MAX_NUMERIC_AS_CATEGORY ? 'numeric' : 'categorical';
}

/** A Dictionary<Utf8, Int32> vector; categories sorted by name, missing cells → `(none)`. */
function categorical(cells: readonly Cell[]): { vector: Vector; categories: number } {
  const names = [...new Set(cells.map((c) => (c === null || c === '' ? MISSING : String(c))))].sort();
  const code = new Map(names.map((s, k) => [s, k]));
  const indices = Int32Array.from(cells, (c) => code.get(c === null || c === '' ? MISSING : String(c))!);
  const dictionary = vectorFromArray(names, new Utf8());
  const data = makeData({
    type: new Dictionary(new Utf8(), new Int32()),
    length: cells.length,
    nullCount: 0,
    data: indices,
    dictionary,
  });
  return { vector: makeVector(data), categories: names.length };
}

function numeric(cells: readonly Cell[]): Vector {
  const v = Float32Array.from(cells, (c) =>
    c === null || c === '' ? NaN : typeof c === 'number' ? c : Number(c),
  );
  return makeVector(makeData({ type: new Float32(), length: v.length, nullCount: 0, data: v }));
}

/**
 * The `points` table as Arrow IPC bytes: `id` (Utf8), `<projection>_x/_y` (Float32) for each projection, then the
 * metadata columns (Dictionary<Utf8> or Float32).
 *
 * @example
 * const { bytes, columns } = pointsTable(ids, { pca: xy }, { species: [...] }, ['genus', 'species']);
 */
export function pointsTable(
  ids: readonly string[],
  projections: Readonly<Record<string, Embeddings /* [N, 2] */>>,
  columns: Readonly<Record<string, readonly Cell[]>>,
  ranks: readonly string[],
): { bytes: Uint8Array; columns: ColumnInfo[] } {
  const n = ids.length;
  const vectors: Record<string, Vector> = { id: vectorFromArray(ids as string[], new Utf8()) };
  for (const [name, xy] of Object.entries(projections)) {
    if (xy.n !== n || xy.d !== 2)
      throw new CladeError(`projection '${name}' is [${xy.n}, ${xy.d}], expected [${n}, 2]`);
    const x = new Float32Array(n);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = xy.data[2 * i];
      y[i] = xy.data[2 * i + 1];
    }
    vectors[`${name}_x`] = makeVector(x);
    vectors[`${name}_y`] = makeVector(y);
  }
  const info: ColumnInfo[] = [];
  for (const [name, cells] of Object.entries(columns)) {
    if (name in vectors) throw new CladeError(`metadata column '${name}' clashes with a built-in column`);
    if (cells.length !== n)
      throw new CladeError(`metadata column '${name}' has ${cells.length} values, expected ${n}`);
    const kind = columnKind(cells, ranks.includes(name));
    if (kind === 'categorical') {
      const c = categorical(cells);
      vectors[name] = c.vector;
      info.push({ name, kind, categories: c.categories });
    } else {
      vectors[name] = numeric(cells);
      info.push({ name, kind });
    }
  }
  return { bytes: tableToIPC(new Table(vectors), 'file'), columns: info };
}

import { Rng } from '../../util/rng.ts';
import { CladeError } from '../../util/errors.ts';
import type { Dataset, OnError, Sample, SkipReport } from '../types.ts';
import { columnIndex, readCsv } from './csv.ts';
import { SkipLog } from './files.ts';
import { splitChain } from './hierarcaps.ts';

/** A positive chain (general → specific) and a same-length negative chain. */
export interface TextChain {
  readonly positive: readonly string[];
  readonly negative: readonly string[];
}

export interface ChainsOptions {
  /** Column of positive chains (default `positive` when the file has it, else `captions`). */
  readonly positive?: string;
  /** Column of negative chains (default `negative` when present); without one, negatives are drawn (see below). */
  readonly negative?: string;
  /** Levels per chain (default: those of the first row; HierarCaps has 4). */
  readonly levels?: number;
  /** Seeds the drawn negatives (default 0). */
  readonly seed?: number;
  readonly onError?: OnError;
}

export interface ChainDataset extends Dataset {
  readonly chains: readonly TextChain[];
  /** 1-based data row of each chain in the file. */
  readonly rows: readonly number[];
  readonly skipped: readonly SkipReport[];
}

/**
 * HierarCaps-format chains for the Radial Embedding fine-tune (docs/methods.md §C.3–C.4): a CSV (or CSV.gz; quoted
 * fields and newlines allowed) whose chain columns hold `a => b => c => d`, general → specific, split on `=>` and
 * trimmed. The training file (`hierarcaps_train.csv.gz`) and the expanded test file have `positive` and `negative`
 * columns; the test file has `captions` only, and then each chain's negative is another row's chain, drawn with a
 * seeded RNG among rows that differ at every level (so `n_k ≠ p_k` for every k). Sample `i` has
 * `captions = [p₁ … p_L, n₁ … n_L]`, the layout the radial fine-tune's batches use.
 * A row whose chain has the wrong number of levels or an empty level throws naming file, row and column (or is
 * skipped and reported).
 *
 * @example
 * const ds = readChains('../shared/datasets/hierarcaps/hierarcaps_test_expanded.csv.gz');
 * ds.chains[0].positive; // 4 levels
 */
export function readChains(file: string, opts: ChainsOptions = {}): ChainDataset {
  const table = readCsv(file);
  const has = (c: string) => table.header.includes(c);
  const posCol = opts.positive ?? (has('positive') ? 'positive' : 'captions');
  const negCol = opts.negative ?? (has('negative') ? 'negative' : undefined);
  const [cPos, cNeg] = columnIndex(table, negCol ? [posCol, negCol] : [posCol], file);
  const log = new SkipLog(opts.onError);
  let levels = opts.levels;
  const pos: string[][] = [];
  const neg: (string[] | null)[] = [];
  const rows: number[] = [];
  table.rows.forEach((r, i) => {
    const where = { file, row: i + 1, line: table.lines[i] };
    const p = splitChain(r[cPos] ?? '');
    const n = negCol ? splitChain(r[cNeg] ?? '') : null;
    levels ??= p.length;
    for (const [col, chain] of [
      [posCol, p],
      [negCol, n],
    ] as const) {
      if (!chain) continue;
      if (chain.length !== levels || chain.some((x) => x === ''))
        return log.bad(
          new CladeError(
            `expected ${levels} non-empty levels separated by '=>', got ${chain.filter(Boolean).length} of ${chain.length}`,
            { ...where, column: col! },
          ),
        );
    }
    pos.push(p);
    neg.push(n);
    rows.push(i + 1);
  });
  if (pos.length === 0) throw new CladeError('no chains', { file });
  const rng = new Rng(opts.seed ?? 0).fork('chains/negatives');
  const chains: TextChain[] = pos.map((p, i) => {
    if (neg[i]) return { positive: p, negative: neg[i]! };
    if (pos.length < 2)
      throw new CladeError('a single chain has no other chain to draw a negative from', { file });
    let j = i;
    for (let t = 0; t < 20; t++) {
      j = rng.int(pos.length - 1);
      if (j >= i) j++;
      if (pos[j].every((x, k) => x !== p[k])) break;
    }
    return { positive: p, negative: pos[j] };
  });
  const get = (index: number): Sample => {
    const c = chains[index];
    if (!c) throw new CladeError(`index ${index} out of range 0..${chains.length - 1}`, { file });
    return { index, id: `${file}#${rows[index]}`, captions: [...c.positive, ...c.negative] };
  };
  return { name: file, length: chains.length, get, chains, rows, skipped: log.skipped };
}

import { CladeError } from '../../util/errors.ts';
import type { Dataset, OnError, Sample, SkipReport } from '../types.ts';
import { planarToHwc, readBytes, SkipLog } from './files.ts';
import { columnIndex, readCsv } from './csv.ts';

/** Splits a HierarCaps chain `a => b => c => d` into its trimmed levels (most general first). */
export function splitChain(chain: string): string[] {
  return chain.split('=>').map((s) => s.trim());
}

export interface HierarCapsOptions {
  /** `images_64x64.bin`: 64×64 RGB planar records, record i = row with `id == i`. */
  readonly images?: string;
  /** Levels per chain (4 in HierarCaps). */
  readonly levels?: number;
  readonly onError?: OnError;
}

export interface HierarCapsDataset extends Dataset {
  /** `image_url` by sample index. */
  readonly imageUrls: readonly string[];
  readonly skipped: readonly SkipReport[];
}

/**
 * HierarCaps test CSV (`id, captions, image_url`): `captions` are the 4 levels, general → specific, from
 * splitting on `=>`. With `images`, each sample also carries its 64×64 image (planar → HWC).
 *
 * @example
 * const ds = readHierarCaps('hierarcaps_test.csv', { images: 'images_64x64.bin' });
 * ds.get(1).captions; // ['bird', 'blue bird', 'blue bird sitting on top of branch', 'A blue bird sitting on …']
 */
export function readHierarCaps(file: string, opts: HierarCapsOptions = {}): HierarCapsDataset {
  const levels = opts.levels ?? 4;
  const table = readCsv(file);
  const [cId, cCap, cUrl] = columnIndex(table, ['id', 'captions', 'image_url'], file);
  const log = new SkipLog(opts.onError);
  const ids: number[] = [];
  const caps: string[][] = [];
  const urls: string[] = [];
  table.rows.forEach((r, i) => {
    const where = { file, row: i + 1, line: table.lines[i] };
    const id = Number(r[cId]);
    const chain = r[cCap] === undefined ? [] : splitChain(r[cCap]);
    if (!Number.isInteger(id) || id < 0)
      return log.bad(
        new CladeError(`id '${r[cId]}' is not a non-negative integer`, { ...where, column: 'id' }),
      );
    if (chain.length !== levels || chain.some((c) => c === ''))
      return log.bad(
        new CladeError(`expected ${levels} non-empty levels separated by '=>', got ${chain.length}`, {
          ...where,
          column: 'captions',
        }),
      );
    ids.push(id);
    caps.push(chain);
    urls.push(r[cUrl] ?? '');
  });
  let images: Uint8Array | undefined;
  const rec = 64 * 64 * 3;
  if (opts.images) {
    images = readBytes(opts.images);
    if (images.length % rec !== 0)
      throw new CladeError(`truncated record: ${images.length % rec} of ${rec} bytes`, {
        file: opts.images,
        record: Math.floor(images.length / rec),
      });
    const max = ids.reduce((a, b) => Math.max(a, b), -1);
    if (max >= images.length / rec)
      throw new CladeError(`id ${max} has no image: the file holds ${images.length / rec} records`, {
        file: opts.images,
      });
  }
  const get = (index: number): Sample => {
    if (!(index >= 0 && index < ids.length))
      throw new CladeError(`index ${index} out of range 0..${ids.length - 1}`, { file });
    const o = ids[index] * rec;
    return {
      index,
      id: urls[index] || `${file}#${ids[index]}`,
      captions: caps[index],
      image: images ? planarToHwc(images.subarray(o, o + rec), 64, 64, 3) : undefined,
    };
  };
  return { name: 'hierarcaps', length: ids.length, get, imageUrls: urls, skipped: log.skipped };
}

/** One row of the expanded file: a matching and a non-matching chain for one image. */
export interface HierarCapsPair {
  readonly positive: readonly string[];
  readonly negative: readonly string[];
  readonly imageUrl: string;
  /** 1-based data row in the file. */
  readonly row: number;
}

/**
 * The expanded HierarCaps file (`positive, negative, image_url`, CSV or CSV.gz, quoted newlines allowed).
 *
 * @example
 * const { pairs } = readHierarCapsExpanded('hierarcaps_test_expanded.csv.gz');
 */
export function readHierarCapsExpanded(
  file: string,
  opts: { levels?: number; onError?: OnError } = {},
): { pairs: HierarCapsPair[]; skipped: SkipReport[] } {
  const levels = opts.levels ?? 4;
  const table = readCsv(file);
  const [cPos, cNeg, cUrl] = columnIndex(table, ['positive', 'negative', 'image_url'], file);
  const log = new SkipLog(opts.onError);
  const pairs: HierarCapsPair[] = [];
  table.rows.forEach((r, i) => {
    const positive = splitChain(r[cPos] ?? '');
    const negative = splitChain(r[cNeg] ?? '');
    for (const [col, chain] of [
      ['positive', positive],
      ['negative', negative],
    ] as const)
      if (chain.length !== levels)
        return log.bad(
          new CladeError(`expected ${levels} levels separated by '=>', got ${chain.length}`, {
            file,
            row: i + 1,
            line: table.lines[i],
            column: col,
          }),
        );
    pairs.push({ positive, negative, imageUrl: r[cUrl] ?? '', row: i + 1 });
  });
  return { pairs, skipped: log.skipped };
}

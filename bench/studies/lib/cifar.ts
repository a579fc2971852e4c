/** CIFAR-100 as the studies use it: labels straight from the binaries, and one analyze-ready table. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './cli.ts';
import { readEmbedNpy, stackNpy, writeCsv } from './files.ts';
import type { Clade } from './cli.ts';

export const CIFAR100 = join(REPO, '../shared/datasets/cifar-100');
const RECORD = 2 + 3072; // <coarse><fine><3072 planar bytes>

/** Coarse (superclass) and fine (class) label of the first `limit` records of a CIFAR-100 binary. */
export function cifar100Labels(bin: string, limit = Infinity): { coarse: number[]; fine: number[] } {
  const b = readFileSync(bin);
  const n = Math.min(b.length / RECORD, limit);
  const coarse: number[] = [];
  const fine: number[] = [];
  for (let i = 0; i < n; i++) {
    coarse.push(b[i * RECORD]);
    fine.push(b[i * RECORD + 1]);
  }
  return { coarse, fine };
}

export function cifar100Names(): { coarse: string[]; fine: string[] } {
  const read = (f: string) =>
    readFileSync(join(CIFAR100, f), 'utf8')
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter(Boolean);
  return { coarse: read('coarse_label_names.txt'), fine: read('fine_label_names.txt') };
}

/**
 * Embeds the first `trainN` training and `testN` test records with a model (`clade embed`), stacks them into one
 * .npy and writes its metadata (fine, coarse, split = train | test): the input of `clade analyze --split-col split`.
 */
export async function embedCifar100Split(
  clade: Clade,
  model: string,
  dir: string,
  trainN: number,
  testN: number,
): Promise<{ npy: string; meta: string; trainN: number; testN: number }> {
  const parts = [];
  const rows: (string | number)[][] = [];
  for (const [split, n] of [
    ['train', trainN],
    ['test', testN],
  ] as const) {
    const bin = join(CIFAR100, `${split}.bin`);
    const out = join(dir, `${split}.npy`);
    await clade.run(['embed', model, `cifar100:${bin}`, '--limit', String(n), '--out', out, '--quiet']);
    const e = readEmbedNpy(out);
    const labels = cifar100Labels(bin, e.n);
    labels.fine.forEach((f, i) => rows.push([f, labels.coarse[i], split]));
    parts.push(e);
  }
  const npy = join(dir, 'all.npy');
  const meta = join(dir, 'all.csv');
  stackNpy(npy, parts);
  writeCsv(meta, ['fine', 'coarse', 'split'], rows);
  return { npy, meta, trainN: parts[0].n, testN: parts[1].n };
}

/** CIFAR-100 as the studies use it: labels straight from the binaries, and one analyze-ready table. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './cli.ts';
import { readEmbedNpy, resultsByKind, stackNpy, writeCsv } from './files.ts';
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

/** Superclass index of each of the 100 classes (from the training records). */
export function cifar100FineToCoarse(): number[] {
  const t = cifar100Labels(join(CIFAR100, 'train.bin'));
  const out = new Array<number>(100).fill(0);
  t.fine.forEach((f, i) => (out[f] = t.coarse[i]));
  return out;
}

/** The class table `clade zeroshot --classes` reads: name, coarse, fine (one row per class, label order). */
export function cifar100ClassTable(path: string): string {
  const names = cifar100Names();
  const up = cifar100FineToCoarse();
  writeCsv(
    path,
    ['name', 'coarse', 'fine'],
    names.fine.map((f, k) => [f, names.coarse[up[k]], f]),
  );
  return path;
}

/** The class prompts as the recipes caption them (docs/methods.md §A.3): class name (`com`) and lineage (`taxon`). */
export function cifar100Prompts(): { com: string[]; taxon: string[] } {
  const names = cifar100Names();
  const up = cifar100FineToCoarse();
  const h = (s: string) => s.replace(/_/g, ' ');
  return {
    com: names.fine.map((f) => `a photo of ${h(f)}.`),
    taxon: names.fine.map((f, k) => `a photo of ${h(names.coarse[up[k]])} ${h(f)}.`),
  };
}

/**
 * Zero-shot by rank through the CLI: `clade embed --tower text` of the prompts, then `clade zeroshot --rank-cols
 * coarse,fine` of the test embeddings (`test.meta` has each image's class name in column `fine`). Returns the result's
 * metrics (acc_coarse, acc_fine, meanLcaDepth of mistakes, top1, ...).
 */
export async function zeroShotByRank(
  clade: Clade,
  model: string,
  test: { npy: string; meta: string; classes: string },
  dir: string,
  texts: readonly string[],
): Promise<Record<string, number>> {
  mkdirSync(dir, { recursive: true });
  const txt = join(dir, 'prompts.txt');
  writeFileSync(txt, texts.join('\n') + '\n');
  const cls = join(dir, 'classes.npy');
  await clade.run(['embed', model, txt, '--tower', 'text', '--out', cls, '--quiet']);
  await clade.run([
    'zeroshot',
    test.npy,
    '--class-text',
    cls,
    '--classes',
    test.classes,
    '--rank-cols',
    'coarse,fine',
    '--meta',
    test.meta,
    '--label-col',
    'fine',
    '--out',
    join(dir, 'out'),
  ]);
  return resultsByKind(join(dir, 'out')).zeroshot.metrics;
}

/**
 * kNN and linear probe of an `embedCifar100Split` output by rank (`clade analyze --analyses knn,linear-probe` with
 * the fine and the coarse label), and the test images' class-name table for `zeroShotByRank`.
 */
export async function knnProbeByRank(
  clade: Clade,
  e: { npy: string; meta: string; testN: number },
  dir: string,
): Promise<{ metrics: Record<string, number>; testMeta: string }> {
  const metrics: Record<string, number> = {};
  for (const rank of ['fine', 'coarse'] as const) {
    const out = join(dir, rank);
    await clade.run([
      'analyze',
      e.npy,
      '--meta',
      e.meta,
      '--label-col',
      rank,
      '--split-col',
      'split',
      '--analyses',
      'knn,linear-probe',
      '--out',
      out,
    ]);
    const a = resultsByKind(out);
    metrics[`knn_${rank}`] = a.knn.metrics.top1;
    metrics[`probe_${rank}`] = a['linear-probe'].metrics.top1;
  }
  const names = cifar100Names();
  const testMeta = join(dir, 'test-meta.csv');
  writeCsv(
    testMeta,
    ['fine'],
    cifar100Labels(join(CIFAR100, 'test.bin'), e.testN).fine.map((f) => [names.fine[f]]),
  );
  return { metrics, testMeta };
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cifar100CoarseOfFine } from '../../src/data/taxonomy/cifar100-taxonomy.ts';
import { Rng } from '../../src/util/rng.ts';

/**
 * Write a tiny CIFAR-100-format binary for tests: `n` records, fine label `k % classes` (coarse from the
 * official grouping), each image a class-dependent colour and stripe pattern plus noise, so a model can learn
 * the classes from a few steps. Returns the file path (in a fresh temporary folder).
 *
 * @example
 * const file = writeTinyCifar100(64, 4); // 64 records of 4 classes
 */
export function writeTinyCifar100(n: number, classes: number, seed = 0): string {
  const rng = new Rng(seed);
  const coarseOf = cifar100CoarseOfFine();
  const buf = new Uint8Array(n * 3074);
  for (let k = 0; k < n; k++) {
    const fine = k % classes;
    const o = k * 3074;
    buf[o] = coarseOf[fine];
    buf[o + 1] = fine;
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++) {
          const base = ((fine * 53 + c * 97) % 200) + 20;
          const stripe = ((fine % 2 ? x : y) >> (1 + (fine % 3))) % 2 ? 40 : -40;
          const v = base + stripe + (rng.float() - 0.5) * 60;
          buf[o + 2 + c * 1024 + y * 32 + x] = Math.max(0, Math.min(255, Math.round(v)));
        }
  }
  const file = join(mkdtempSync(join(tmpdir(), 'clade-cifar-')), 'train.bin');
  writeFileSync(file, buf);
  return file;
}

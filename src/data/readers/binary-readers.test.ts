import { afterAll, describe, expect, test } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readCifar10, readCifar100 } from './cifar.ts';
import { readIdx, readMnist } from './mnist.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-bin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A CIFAR record whose pixel (c, y, x) = (label*7 + c*50 + y*3 + x) mod 256. */
function cifarRecord(labels: number[]): Uint8Array {
  const r = new Uint8Array(labels.length + 3072);
  r.set(labels);
  const l = labels[labels.length - 1];
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++)
        r[labels.length + c * 1024 + y * 32 + x] = (l * 7 + c * 50 + y * 3 + x) % 256;
  return r;
}

function idx(dims: number[], data: Uint8Array): Uint8Array {
  const h = new Uint8Array(4 + 4 * dims.length);
  h[2] = 8;
  h[3] = dims.length;
  const v = new DataView(h.buffer);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  return Buffer.concat([h, data]);
}

describe('CIFAR binary', () => {
  test('CIFAR-10: planar → HWC, labels, names from batches.meta.txt', () => {
    const d = join(dir, 'c10');
    mkdirSync(d);
    writeFileSync(join(d, 'b.bin'), Buffer.concat([cifarRecord([3]), cifarRecord([9])]));
    writeFileSync(join(d, 'batches.meta.txt'), 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n');
    const ds = readCifar10(join(d, 'b.bin'));
    expect(ds.length).toBe(2);
    expect(ds.labelNames[9]).toBe('j');
    const s = ds.get(1);
    expect(s.label).toBe(9);
    const img = s.image!;
    for (const [y, x] of [
      [0, 0],
      [5, 17],
      [31, 31],
    ])
      for (let c = 0; c < 3; c++)
        expect(img.data[(y * 32 + x) * 3 + c]).toBe((9 * 7 + c * 50 + y * 3 + x) % 256);
  });

  test('CIFAR-10: truncated last record names file and record; skip reports it', () => {
    const f = join(dir, 'trunc.bin');
    writeFileSync(f, Buffer.concat([cifarRecord([1]), cifarRecord([2]).subarray(0, 1000)]));
    expect(() => readCifar10(f)).toThrow(`${f}: record 1: truncated record: 1000 of 3073 bytes`);
    const ds = readCifar10(f, { onError: 'skip' });
    expect(ds.length).toBe(1);
    expect(ds.skipped).toHaveLength(1);
    expect(ds.skipped[0].where).toBe(`${f}: record 1`);
  });

  test('CIFAR-10: label out of range', () => {
    const f = join(dir, 'badlabel.bin');
    writeFileSync(f, Buffer.concat([cifarRecord([1]), cifarRecord([12]), cifarRecord([2])]));
    expect(() => readCifar10(f)).toThrow(/record 1: label 12 out of range 0..9/);
    const ds = readCifar10(f, { onError: 'skip' });
    expect(Array.from(ds.labels)).toEqual([1, 2]);
    expect(ds.skipped[0].reason).toMatch(/label 12/);
  });

  test('CIFAR-100: coarse + fine, lineage and taxonomy from records; wrong record size', () => {
    const f = join(dir, 'c100.bin');
    writeFileSync(f, Buffer.concat([cifarRecord([4, 0]), cifarRecord([19, 99])]));
    const ds = readCifar100(f);
    expect(Array.from(ds.coarseLabels!)).toEqual([4, 19]);
    expect(ds.get(1).lineage).toEqual(['superclass_19', 'class_99']);
    expect(ds.taxonomy!.nameAt(0, 'superclass')).toBe('superclass_4');
    expect(ds.taxonomy!.nameAt(1, 'superclass')).toBeNull(); // never seen in the records
    expect(ds.get(1).image!.data[0]).toBe((99 * 7) % 256);
    // a CIFAR-10 file read as CIFAR-100: 2 × 3073 bytes is not a multiple of 3074
    const c10 = join(dir, 'c10as100.bin');
    writeFileSync(c10, Buffer.concat([cifarRecord([1]), cifarRecord([2])]));
    expect(() => readCifar100(c10)).toThrow(/record 1: truncated record: 3072 of 3074 bytes/);
  });
});

describe('MNIST idx', () => {
  const images = new Uint8Array(3 * 4 * 5).map((_, i) => i);
  test('raw and gzip read the same; dims and pixel order', () => {
    writeFileSync(join(dir, 'img'), idx([3, 4, 5], images));
    writeFileSync(join(dir, 'img.gz'), gzipSync(idx([3, 4, 5], images)));
    writeFileSync(join(dir, 'lab.gz'), gzipSync(idx([3], Uint8Array.from([7, 2, 1]))));
    const raw = readIdx(join(dir, 'img'));
    expect(raw.dims).toEqual([3, 4, 5]);
    expect(Array.from(readIdx(join(dir, 'img.gz')).data)).toEqual(Array.from(images));
    const ds = readMnist(join(dir, 'img.gz'), join(dir, 'lab.gz'));
    expect(ds.length).toBe(3);
    const s = ds.get(2);
    expect(s.label).toBe(1);
    expect(s.image).toMatchObject({ width: 5, height: 4, channels: 1 });
    expect(s.image!.data[0]).toBe(40);
    expect(s.image!.data[19]).toBe(59);
  });
  test('bad input: wrong magic, truncated data, count mismatch', () => {
    writeFileSync(join(dir, 'bad'), Uint8Array.from([1, 2, 3, 4, 5]));
    expect(() => readIdx(join(dir, 'bad'))).toThrow(/not an IDX file/);
    writeFileSync(join(dir, 'short'), idx([3, 4, 5], images.subarray(0, 45)));
    expect(() => readIdx(join(dir, 'short'))).toThrow(
      `${join(dir, 'short')}: record 2: truncated: header says 3 records of 20 bytes, file holds 2 complete`,
    );
    const skipped: { where: string; reason: string }[] = [];
    expect(readIdx(join(dir, 'short'), { onError: 'skip', skipped }).dims).toEqual([2, 4, 5]);
    expect(skipped).toHaveLength(1);
    writeFileSync(join(dir, 'lab2'), idx([2], Uint8Array.from([1, 2])));
    expect(() => readMnist(join(dir, 'img'), join(dir, 'lab2'))).toThrow(/3 images but 2 labels/);
    expect(readMnist(join(dir, 'img'), join(dir, 'lab2'), { onError: 'skip' }).length).toBe(2);
  });
});

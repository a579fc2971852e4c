import { describe, expect, test } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  writeSafetensors,
  readSafetensorsWithMetadata,
  readSafetensors,
  encodeSafetensors,
} from './safetensors.ts';
import { float32ToHalfArray } from './float16.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-st-'));

function rawFile(header: object, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('safetensors', () => {
  test('round trip of every dtype with metadata', () => {
    const p = join(dir, 'a.safetensors');
    writeSafetensors(
      p,
      {
        w: { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
        h: { dtype: 'F16', shape: [2], data: float32ToHalfArray([0.5, -2]) },
        step: { dtype: 'I64', shape: [], data: new BigInt64Array([123n]) },
        idx: { dtype: 'I32', shape: [3], data: new Int32Array([-1, 0, 7]) },
        mask: { dtype: 'U8', shape: [1, 1, 3], data: new Uint8Array([1, 0, 255]) },
      },
      { format: 'pt', note: 'x' },
    );
    const buf = readFileSync(p);
    const hlen = Number(buf.readBigUInt64LE(0));
    expect(hlen % 8).toBe(0);
    const { tensors, metadata } = readSafetensorsWithMetadata(p);
    expect(metadata).toEqual({ format: 'pt', note: 'x' });
    expect([...tensors.keys()]).toEqual(['w', 'h', 'step', 'idx', 'mask']);
    expect(Array.from(tensors.get('w')!.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(tensors.get('w')!.shape).toEqual([2, 3]);
    expect(Array.from(tensors.get('h')!.data as Uint16Array)).toEqual([0x3800, 0xc000]);
    expect((tensors.get('step')!.data as BigInt64Array)[0]).toBe(123n);
    expect(tensors.get('step')!.shape).toEqual([]);
    expect(Array.from(tensors.get('idx')!.data as Int32Array)).toEqual([-1, 0, 7]);
    expect(Array.from(tensors.get('mask')!.data as Uint8Array)).toEqual([1, 0, 255]);
  });

  test('reads a file laid out by the reference format (unaligned offsets, any key order)', () => {
    const data = new Uint8Array(4 + 1 + 4);
    data[0] = 9; // U8 tensor 'b' at [0,1)
    new DataView(data.buffer).setFloat32(1, 2.5, true); // F32 'a' at [1,5): unaligned
    new DataView(data.buffer).setInt32(5, -3, true);
    const file = join(dir, 'ref.safetensors');
    writeFileSync(
      file,
      rawFile(
        {
          a: { dtype: 'F32', shape: [1], data_offsets: [1, 5] },
          c: { dtype: 'I32', shape: [1], data_offsets: [5, 9] },
          b: { dtype: 'U8', shape: [1], data_offsets: [0, 1] },
        },
        data,
      ),
    );
    const t = readSafetensors(file);
    expect((t.get('a')!.data as Float32Array)[0]).toBe(2.5);
    expect((t.get('b')!.data as Uint8Array)[0]).toBe(9);
    expect((t.get('c')!.data as Int32Array)[0]).toBe(-3);
  });

  test('truncated and malformed files name the file and tensor', () => {
    const good = encodeSafetensors({ big: { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
    const p = join(dir, 'trunc.safetensors');
    writeFileSync(p, good.subarray(0, good.length - 3));
    expect(() => readSafetensors(p)).toThrow(/trunc\.safetensors: tensor big: truncated file/);
    writeFileSync(p, good.subarray(0, 5));
    expect(() => readSafetensors(p)).toThrow(/trunc\.safetensors: truncated file/);
    const q = join(dir, 'bad.safetensors');
    writeFileSync(q, rawFile({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)));
    expect(() => readSafetensors(q)).toThrow(
      /bad\.safetensors: tensor x: data_offsets \[0, 8\] span 8 bytes, but F32 shape \[3\] needs 12/,
    );
    writeFileSync(
      q,
      rawFile({ x: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
    );
    expect(() => readSafetensors(q)).toThrow(/tensor x: unsupported dtype "F8_E4M3"/);
    const junk = new Uint8Array(20);
    new DataView(junk.buffer).setBigUint64(0, 4n, true);
    junk.set(new TextEncoder().encode('{{{{'), 8);
    writeFileSync(q, junk);
    expect(() => readSafetensors(q)).toThrow(/bad\.safetensors: bad header: invalid JSON/);
    writeFileSync(q, rawFile({ x: { dtype: 'U8', shape: [1], data_offsets: [1, 2] } }, new Uint8Array(2)));
    expect(() => readSafetensors(q)).toThrow(/tensor x: bad header: tensor starts at byte 1, expected 0/);
    expect(() => encodeSafetensors({ y: { dtype: 'F32', shape: [2], data: new Int32Array(2) } })).toThrow(
      /tensor y: dtype F32 does not match/,
    );
  });
});

import { describe, expect, test } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNpy, encodeNpy, writeNpy, readNpyEmbeddings, readNpy } from './npy.ts';
import { halfToFloat, floatToHalf } from './float16.ts';
import { CladeError } from '../util/errors.ts';

// Produced by numpy 1.24: np.save(np.array([[1.5,-2],[3,4.25],[0,1e-3]], float32)) and a Fortran-order float16 [2,3].
const NUMPY_F4 =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMA/AAAAwAAAQEAAAIhAAAAAAG8Sgzo=';
const NUMPY_F2_FORTRAN =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAPABEAEAARQBCAEY=';

const dir = mkdtempSync(join(tmpdir(), 'clade-npy-'));

describe('npy', () => {
  test('reads numpy-written float32 and Fortran-order float16', () => {
    const a = parseNpy(Buffer.from(NUMPY_F4, 'base64'));
    expect(a.dtype).toBe('f4');
    expect(a.shape).toEqual([3, 2]);
    expect(Array.from(a.data as Float32Array)).toEqual([1.5, -2, 3, 4.25, 0, Math.fround(1e-3)]);
    const b = parseNpy(Buffer.from(NUMPY_F2_FORTRAN, 'base64'));
    expect(b.shape).toEqual([2, 3]);
    expect(Array.from(b.data as Uint16Array, halfToFloat)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('our encoding is byte-identical to numpy for float32', () => {
    const ref = Buffer.from(NUMPY_F4, 'base64');
    const ours = encodeNpy(new Float32Array([1.5, -2, 3, 4.25, 0, 1e-3]), [3, 2]);
    expect(Buffer.from(ours).equals(ref)).toBe(true);
  });

  test('float16 round trip and embeddings reader', () => {
    const p = join(dir, 'h.npy');
    writeNpy(p, new Float32Array([0.5, -1, 65504, 1e-7, 3.14159, 2]), [3, 2], 'f2');
    const e = readNpyEmbeddings(p);
    expect([e.n, e.d]).toEqual([3, 2]);
    expect(e.data[0]).toBe(0.5);
    expect(e.data[2]).toBe(65504);
    expect(e.data[4]).toBeCloseTo(3.14159, 2);
    expect(halfToFloat(floatToHalf(70000))).toBe(Infinity);
    const t = readNpyEmbeddings(p, { transpose: true });
    expect([t.n, t.d]).toEqual([2, 3]);
    expect(Array.from(t.data)).toEqual([e.data[0], e.data[2], e.data[4], e.data[1], e.data[3], e.data[5]]);
  });

  test('errors name the file and the row', () => {
    const p = join(dir, 'nan.npy');
    writeNpy(p, new Float32Array([1, 2, 3, NaN, 5, 6]), [3, 2]);
    expect(() => readNpyEmbeddings(p)).toThrow(/nan\.npy: row 1: non-finite value \(NaN\) in column 1/);
    const q = join(dir, 'trunc.npy');
    writeFileSync(q, encodeNpy(new Float32Array(6), [3, 2]).subarray(0, 140));
    expect(() => readNpy(q)).toThrow(CladeError);
    expect(() => readNpy(q)).toThrow(/trunc\.npy: truncated \.npy data/);
    const r = join(dir, 'one.npy');
    writeNpy(r, new Float32Array(4), [4]);
    expect(() => readNpyEmbeddings(r)).toThrow(/expected a 2-D/);
    writeFileSync(join(dir, 'bad.npy'), 'hello world');
    expect(() => readNpy(join(dir, 'bad.npy'))).toThrow(/bad magic/);
  });
});

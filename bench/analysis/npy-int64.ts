/** A 1-D int64 `.npy` for labels and row indices (the float writer in src/io covers embeddings only). */
export function npyInt64(y: ArrayLike<number>): Uint8Array {
  let header = `{'descr': '<i8', 'fortran_order': False, 'shape': (${y.length},), }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + 8 * y.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const v = new BigInt64Array(out.buffer, 10 + header.length, y.length);
  for (let i = 0; i < y.length; i++) v[i] = BigInt(y[i]);
  return out;
}

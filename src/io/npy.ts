import { readFileSync } from 'node:fs';
import { CladeError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { type Embeddings, makeEmbeddings, assertFinite } from './embeddings.ts';
import { halfArrayToFloat32, float32ToHalfArray } from './float16.ts';

/** dtypes clade reads from `.npy` (little-endian or byte-order-free). */
export type NpyDtype = 'f4' | 'f2' | 'f8' | 'i4' | 'i8' | 'u1';

/** A decoded `.npy` array; `f2` data is returned as raw half bits, `i8` as `BigInt64Array`. */
export interface NpyArray {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  readonly data: Float32Array | Uint16Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const BYTES: Record<NpyDtype, number> = { f4: 4, f2: 2, f8: 8, i4: 4, i8: 8, u1: 1 };

/**
 * Parses a `.npy` file (format versions 1–3, C order; Fortran-order 2-D arrays are transposed to C order).
 *
 * @example
 * const { shape, data } = readNpy('txt_emb_species.npy'); // shape [768, N], dtype 'f4'
 */
export function readNpy(path: string): NpyArray {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new CladeError(`cannot read .npy file: ${(e as Error).message}`, { file: path });
  }
  return parseNpy(buf, path);
}

/** Parses `.npy` bytes; `file` only names the source in errors. */
export function parseNpy(buf: Uint8Array, file = '<npy>'): NpyArray {
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b))
    throw new CladeError('not a .npy file (bad magic bytes)', { file });
  const major = buf[6];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const hstart = major === 1 ? 10 : 12;
  if (hstart + hlen > buf.length) throw new CladeError('truncated .npy header', { file });
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    buf.subarray(hstart, hstart + hlen),
  );
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeStr = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeStr === undefined)
    throw new CladeError(`malformed .npy header: ${header.trim()}`, { file });
  const m = /^([<|=])([fiu])(\d)$/.exec(descr);
  const dtype = m ? ((m[2] + m[3]) as NpyDtype) : undefined;
  if (!m || !dtype || !(dtype in BYTES))
    throw new CladeError(
      `unsupported .npy dtype '${descr}' (expected little-endian f4, f2, f8, i4, i8 or u1)`,
      {
        file,
      },
    );
  const shape = shapeStr
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const off = hstart + hlen;
  const nbytes = count * BYTES[dtype];
  if (buf.length - off < nbytes)
    throw new CladeError(
      `truncated .npy data: expected ${nbytes} bytes for shape (${shape}), got ${buf.length - off}`,
      {
        file,
      },
    );
  const bytes = buf.slice(off, off + nbytes); // copy → aligned
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + nbytes);
  let data: NpyArray['data'];
  switch (dtype) {
    case 'f4':
      data = new Float32Array(ab);
      break;
    case 'f2':
      data = new Uint16Array(ab);
      break;
    case 'f8':
      data = new Float64Array(ab);
      break;
    case 'i4':
      data = new Int32Array(ab);
      break;
    case 'i8':
      data = new BigInt64Array(ab);
      break;
    case 'u1':
      data = new Uint8Array(ab);
      break;
  }
  if (fortran === 'True') {
    if (shape.length > 2)
      throw new CladeError('Fortran-order .npy arrays above 2-D are not supported', { file });
    if (shape.length === 2) data = transpose(data, shape[1], shape[0]);
  }
  return { dtype, shape, data };
}

function transpose<T extends NpyArray['data']>(a: T, rows: number, cols: number): T {
  const out = new (a.constructor as new (n: number) => T)(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

/**
 * Writes a float32 or float16 array as `.npy` (format 1.0, C order), atomically.
 *
 * @example
 * writeNpy('emb.npy', e.data, [e.n, e.d]);            // <f4
 * writeNpy('emb16.npy', e.data, [e.n, e.d], 'f2');    // <f2, rounded to nearest even
 */
export function writeNpy(
  path: string,
  data: Float32Array,
  shape: readonly number[],
  dtype: 'f4' | 'f2' = 'f4',
): void {
  writeFileAtomic(path, encodeNpy(data, shape, dtype));
}

/** `.npy` bytes for a float32 array stored as `f4` or `f2`. */
export function encodeNpy(
  data: Float32Array,
  shape: readonly number[],
  dtype: 'f4' | 'f2' = 'f4',
): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length)
    throw new CladeError(`shape (${shape}) needs ${count} values, got ${data.length}`);
  const shp = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<${dtype}', 'fortran_order': False, 'shape': ${shp}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = new Uint8Array(10 + header.length);
  head.set(MAGIC);
  head[6] = 1;
  head[7] = 0;
  new DataView(head.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) head[10 + i] = header.charCodeAt(i);
  const body =
    dtype === 'f4'
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(float32ToHalfArray(data).buffer);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/**
 * Reads a 2-D float `.npy` as embeddings (`f2`/`f8` converted to float32), rejecting NaN/Inf rows.
 * `transpose: true` reads a `[D, N]` store such as pybioclip's `txt_emb_species.npy` as `[N, D]`.
 *
 * @example
 * const text = readNpyEmbeddings('txt_emb_species.npy', { transpose: true });
 */
export function readNpyEmbeddings(
  path: string,
  opts: { transpose?: boolean; allowNonFinite?: boolean } = {},
): Embeddings {
  const a = readNpy(path);
  if (a.shape.length !== 2)
    throw new CladeError(`expected a 2-D [N, D] array, got shape (${a.shape.join(', ')})`, { file: path });
  let f: Float32Array;
  if (a.dtype === 'f4') f = a.data as Float32Array;
  else if (a.dtype === 'f2') f = halfArrayToFloat32(a.data as Uint16Array);
  else if (a.dtype === 'f8') f = Float32Array.from(a.data as Float64Array);
  else throw new CladeError(`expected a float array (f4, f2, f8), got ${a.dtype}`, { file: path });
  let [n, d] = a.shape;
  if (opts.transpose) {
    f = transpose(f, n, d);
    [n, d] = [d, n];
  }
  const e = makeEmbeddings(f, n, d, { file: path });
  if (!opts.allowNonFinite) assertFinite(e, { file: path });
  return e;
}

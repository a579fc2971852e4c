import { readFileSync } from 'node:fs';
import { CladeError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';

/** Tensor element types clade reads and writes in safetensors files. */
export type SafeDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'U8';

/** Typed-array storage per dtype: `F16` is raw IEEE half bits (convert with `halfArrayToFloat32`), `BF16` raw bfloat16 bits. */
export type SafeData = Float32Array | Uint16Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

/** One named tensor. */
export interface SafeTensor {
  readonly dtype: SafeDtype;
  readonly shape: readonly number[];
  readonly data: SafeData;
}

const BYTES: Record<SafeDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, U8: 1 };
const CTOR: Record<SafeDtype, new (b: ArrayBuffer) => SafeData> = {
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  F64: Float64Array,
  I64: BigInt64Array,
  I32: Int32Array,
  U8: Uint8Array,
};
const MAX_HEADER = 100 * 1024 * 1024;

/**
 * Reads a safetensors file into named tensors, validating the header (size, JSON, dtypes, shapes, offsets that tile
 * the data section exactly). Errors name the file and the tensor.
 *
 * Format: u64 little-endian header length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]},
 * "__metadata__"?: {string: string}}`, then the data section.
 *
 * @example
 * const tensors = readSafetensors('ckpt.safetensors');
 * tensors.get('visual.proj')!.shape; // [768, 512]
 */
export function readSafetensors(path: string): Map<string, SafeTensor> {
  return readSafetensorsWithMetadata(path).tensors;
}

/** Like `readSafetensors`, also returning the `__metadata__` string map. */
export function readSafetensorsWithMetadata(path: string): {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
} {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new CladeError(`cannot read safetensors file: ${(e as Error).message}`, { file: path });
  }
  return parseSafetensors(buf, path);
}

/** Parses safetensors bytes; `file` names the source in errors. */
export function parseSafetensors(
  buf: Uint8Array,
  file = '<safetensors>',
): { tensors: Map<string, SafeTensor>; metadata: Record<string, string> } {
  if (buf.length < 8) throw new CladeError(`truncated file: ${buf.length} bytes, no header length`, { file });
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const hlen64 = dv.getBigUint64(0, true);
  if (hlen64 > BigInt(MAX_HEADER))
    throw new CladeError(`bad header: length ${hlen64} exceeds 100 MiB`, { file });
  const hlen = Number(hlen64);
  if (8 + hlen > buf.length)
    throw new CladeError(`truncated file: header says ${hlen} bytes, only ${buf.length - 8} present`, {
      file,
    });
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + hlen)));
  } catch (e) {
    throw new CladeError(`bad header: invalid JSON (${(e as Error).message})`, { file });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw new CladeError('bad header: expected a JSON object', { file });
  const dataStart = 8 + hlen;
  const dataLen = buf.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafeDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null)
        throw new CladeError('bad header: __metadata__ must be an object', { file });
      for (const [k, s] of Object.entries(v)) {
        if (typeof s !== 'string')
          throw new CladeError(`bad header: __metadata__.${k} must be a string`, { file });
        metadata[k] = s;
      }
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t !== 'object' || t === null)
      throw new CladeError('bad header: entry is not an object', { file, tensor: name });
    if (typeof t.dtype !== 'string' || !(t.dtype in BYTES))
      throw new CladeError(
        `unsupported dtype ${JSON.stringify(t.dtype)} (expected F32, F16, BF16, F64, I64, I32 or U8)`,
        {
          file,
          tensor: name,
        },
      );
    if (!Array.isArray(t.shape) || !t.shape.every((s) => Number.isInteger(s) && s >= 0))
      throw new CladeError(`bad shape ${JSON.stringify(t.shape)}`, { file, tensor: name });
    const off = t.data_offsets;
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      !off.every((s) => Number.isInteger(s) && s >= 0) ||
      off[1] < off[0]
    )
      throw new CladeError(`bad data_offsets ${JSON.stringify(off)}`, { file, tensor: name });
    const dtype = t.dtype as SafeDtype;
    const shape = t.shape as number[];
    const want = shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
    if (off[1] - off[0] !== want)
      throw new CladeError(
        `data_offsets [${off[0]}, ${off[1]}] span ${off[1] - off[0]} bytes, but ${dtype} shape [${shape}] needs ${want}`,
        { file, tensor: name },
      );
    if (off[1] > dataLen)
      throw new CladeError(
        `truncated file: tensor ends at byte ${off[1]} of a ${dataLen}-byte data section`,
        {
          file,
          tensor: name,
        },
      );
    entries.push({ name, dtype, shape, begin: off[0], end: off[1] });
  }
  // Offsets must tile the data section without gaps or overlaps.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin !== pos)
      throw new CladeError(`bad header: tensor starts at byte ${e.begin}, expected ${pos} (gap or overlap)`, {
        file,
        tensor: e.name,
      });
    pos = e.end;
  }
  if (pos !== dataLen)
    throw new CladeError(`bad file size: tensors cover ${pos} bytes but the data section has ${dataLen}`, {
      file,
    });
  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) {
    const s = dataStart + e.begin;
    const copy = buf.slice(s, s + (e.end - e.begin));
    const ab = copy.buffer.slice(copy.byteOffset, copy.byteOffset + copy.byteLength);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: new CTOR[e.dtype](ab) });
  }
  return { tensors, metadata };
}

const DTYPE_OF = (d: SafeData): SafeDtype | undefined =>
  d instanceof Float32Array
    ? 'F32'
    : d instanceof Float64Array
      ? 'F64'
      : d instanceof BigInt64Array
        ? 'I64'
        : d instanceof Int32Array
          ? 'I32'
          : d instanceof Uint8Array
            ? 'U8'
            : undefined; // Uint16Array is ambiguous: F16 must be given explicitly

/**
 * Encodes named tensors as safetensors bytes (tensors in insertion order, header padded with spaces to 8 bytes).
 * Each value is a `SafeTensor`; its `dtype` must match the typed array (`F16` ↔ `Uint16Array` of half bits).
 */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, SafeTensor> | Record<string, SafeTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const list: [string, SafeTensor][] =
    tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors as Record<string, SafeTensor>);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let pos = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of list) {
    if (name === '__metadata__')
      throw new CladeError('tensor name __metadata__ is reserved', { tensor: name });
    if (!(t.dtype in BYTES)) throw new CladeError(`unsupported dtype ${t.dtype}`, { tensor: name });
    const inferred = DTYPE_OF(t.data);
    const ok = t.dtype === 'F16' || t.dtype === 'BF16' ? t.data instanceof Uint16Array : inferred === t.dtype;
    if (!ok)
      throw new CladeError(`dtype ${t.dtype} does not match the ${t.data.constructor.name} data`, {
        tensor: name,
      });
    const count = t.shape.reduce((a: number, b: number) => a * b, 1);
    if (count !== t.data.length)
      throw new CladeError(`shape [${t.shape}] needs ${count} elements, got ${t.data.length}`, {
        tensor: name,
      });
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [pos, pos + bytes.length] };
    pos += bytes.length;
    parts.push(bytes);
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (new TextEncoder().encode(json).length % 8)) % 8);
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + pos);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let o = 8 + hb.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Writes named tensors to a safetensors file atomically (temporary file + rename).
 *
 * @example
 * writeSafetensors('emb.safetensors', { embeddings: { dtype: 'F32', shape: [n, d], data } }, { model: 'clip' });
 */
export function writeSafetensors(
  path: string,
  tensors: ReadonlyMap<string, SafeTensor> | Record<string, SafeTensor>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

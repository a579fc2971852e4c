import { createRequire } from 'node:module';
import type { Image } from '../types.ts';

/** The part of `@julusian/jpeg-turbo` (TurboJPEG bindings with prebuilt binaries) used here. */
interface JpegTurbo {
  readonly FORMAT_RGB: number;
  decompressSync(jpeg: Buffer, opts: { format: number }): { data: Buffer; width: number; height: number };
}

let turbo: JpegTurbo | null | undefined;

/** The libjpeg-turbo binding, or null where its prebuilt binary does not load (callers then decode with sharp). */
function loadTurbo(): JpegTurbo | null {
  if (turbo === undefined) {
    try {
      turbo = createRequire(import.meta.url)('@julusian/jpeg-turbo') as JpegTurbo;
    } catch {
      turbo = null;
    }
  }
  return turbo;
}

/** Whether the bytes start with a JPEG SOI marker. */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length > 2 && bytes[0] === 0xff && bytes[1] === 0xd8;
}

/** Whether `decodeJpegFast` can run on this platform (the libjpeg-turbo binding loaded). */
export function fastJpegAvailable(): boolean {
  return loadTurbo() !== null;
}

/**
 * Decodes a JPEG to 8-bit HWC RGB with libjpeg-turbo's fast integer IDCT (TurboJPEG with TJFLAG_FASTDCT, the decode
 * FFCV uses for training). A 400x300 JPEG takes about 0.8 ms against about 3 ms through sharp/libvips, whose
 * per-call pipeline set-up dominates at this size. Pixels differ from an exact (islow IDCT) decode such as PIL's or
 * sharp's by a few levels at most (docs/augmentation.md gives the measured error). No ICC conversion, as in PIL.
 * Null when the binding is unavailable or libjpeg-turbo rejects the file (CMYK, truncated, corrupt): the caller then
 * decodes with sharp, which either succeeds or gives the real error.
 *
 * @example
 * const img = decodeJpegFast(await readFile('a.jpg')) ?? (await decodeImage('a.jpg')); // [H, W, 3]
 */
export function decodeJpegFast(bytes: Uint8Array): Image | null {
  const jt = loadTurbo();
  if (!jt || !isJpeg(bytes)) return null;
  try {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const r = jt.decompressSync(buf, { format: jt.FORMAT_RGB });
    return {
      data: new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.length),
      width: r.width,
      height: r.height,
      channels: 3,
    };
  } catch {
    return null;
  }
}

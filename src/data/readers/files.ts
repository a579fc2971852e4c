import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { CladeError } from '../../util/errors.ts';
import type { Image, OnError, SkipReport } from '../types.ts';

/** Reads a file, gunzipping it when it starts with the gzip magic (1f 8b). Errors name the file. */
export function readBytes(file: string): Uint8Array {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new CladeError(`cannot read: ${(e as Error).message}`, { file });
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      return new Uint8Array(gunzipSync(buf));
    } catch (e) {
      throw new CladeError(`corrupt or truncated gzip: ${(e as Error).message}`, { file });
    }
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** Non-empty lines of a text file (label-name files), trimmed. */
export function readLines(file: string): string[] {
  return new TextDecoder()
    .decode(readBytes(file))
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/** Reads label names from the first existing file of `candidates`, else returns `fallback`. */
export function labelNamesFrom(candidates: readonly string[], fallback: readonly string[]): string[] {
  for (const f of candidates) if (existsSync(f)) return readLines(f);
  return [...fallback];
}

/** Collects skipped records, or throws on the first one when `onError` is `fail`. */
export class SkipLog {
  readonly skipped: SkipReport[] = [];
  constructor(readonly onError: OnError = 'fail') {}
  bad(error: CladeError): void {
    if (this.onError === 'fail') throw error;
    this.skipped.push({
      where: Object.entries(error.where)
        .map(([k, v]) => (k === 'file' ? v : `${k} ${v}`))
        .join(': '),
      reason: error.message,
    });
  }
}

/** Channel-planar (CHW, as CIFAR stores pixels) to interleaved HWC. */
export function planarToHwc(src: Uint8Array, width: number, height: number, channels: 1 | 3): Image {
  const n = width * height;
  if (channels === 1) return { data: src.slice(0, n), width, height, channels };
  const data = new Uint8Array(n * 3); /* [H, W, 3] */
  for (let i = 0; i < n; i++) {
    data[3 * i] = src[i];
    data[3 * i + 1] = src[n + i];
    data[3 * i + 2] = src[2 * n + i];
  }
  return { data, width, height, channels };
}

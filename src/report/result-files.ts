import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { CladeError } from '../util/errors.ts';
import {
  RESULT_SCHEMA_ID,
  validateResult,
  type CladeResult,
  type InputRef,
  type MetricValue,
  type Projection,
  type KnownSeries,
} from './result-schema.ts';

/** A result read from disk, with the file it came from. */
export interface LoadedResult {
  file: string;
  result: CladeResult;
}

/** Either a bare result or one read from a file; the report and aggregation functions accept both. */
export type ResultLike = CladeResult | LoadedResult;

/**
 * Normalises {@link ResultLike} to `{ file?, result }`.
 *
 * @example
 * asLoaded(makeResult({ kind: 'knn', metrics: {} })).file; // undefined
 */
export function asLoaded(r: ResultLike): { file?: string; result: CladeResult } {
  return 'result' in r && 'file' in r ? r : { result: r as CladeResult };
}

let versionCache: string | undefined;
/**
 * clade's version from package.json (recorded in every result).
 *
 * @example
 * cladeVersion(); // '0.1.0'
 */
export function cladeVersion(): string {
  if (versionCache === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    versionCache = pkg.version ?? '0.0.0';
  }
  return versionCache;
}

/**
 * SHA-256 of a file, streamed (constant memory for large embedding files).
 *
 * @example
 * await hashFile('emb.npy'); // 'e3b0c442…' (64 hex digits)
 */
export async function hashFile(path: string): Promise<string> {
  if (!existsSync(path)) throw new CladeError('file not found', { file: path });
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Describes an input file for a result's `inputs`: path, SHA-256 and size.
 *
 * @example
 * const inputs = await Promise.all(['emb.npy', 'meta.csv'].map(describeInput));
 */
export async function describeInput(path: string): Promise<InputRef> {
  const sha256 = await hashFile(path);
  return { path, sha256, bytes: statSync(path).size };
}

/**
 * Describes in-memory input (e.g. a generated synthetic data set) under a name of your choice.
 *
 * @example
 * describeBytes('synthetic-taxonomy:seed=0', new Uint8Array(x.buffer));
 */
export function describeBytes(name: string, bytes: Uint8Array): InputRef {
  return { path: name, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength };
}

/**
 * Describes a model directory by the SHA-256 of all its files (name and content, in name order), so a result
 * names the exact weights and graphs that produced it.
 *
 * @example
 * describeModelDir('runs/demo/model'); // { path: 'runs/demo/model', sha256: '…', bytes: 1234567 }
 */
export function describeModelDir(dir: string): InputRef {
  const h = createHash('sha256');
  let bytes = 0;
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (!statSync(p).isFile()) continue;
    const b = readFileSync(p);
    h.update(f).update('\0').update(b);
    bytes += b.byteLength;
  }
  return { path: dir, sha256: h.digest('hex'), bytes };
}

/** `T` with every numeric list also accepting typed arrays (`Float32Array`…), for building results. */
export type Arrayish<T> = T extends (number | null)[]
  ? T | ArrayLike<number>
  : T extends object
    ? { [K in keyof T]: Arrayish<T[K]> }
    : T;

/** What {@link makeResult} takes; numbers may be typed arrays or non-finite (they become arrays / null). */
export interface ResultInit {
  kind: string;
  name?: string;
  inputs?: InputRef[];
  params?: Record<string, unknown>;
  timings?: Record<string, number>;
  metrics: Record<string, MetricValue | ArrayLike<number> | Record<string, number>>;
  series?: Arrayish<KnownSeries> & Record<string, unknown>;
  projection?: Omit<Projection, 'x' | 'y'> & { x: ArrayLike<number>; y: ArrayLike<number> };
  createdAt?: Date | string;
}

/** Deep copy that turns typed arrays into arrays and NaN/±Infinity into null. */
function toJson(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView))
    return Array.from(v as unknown as ArrayLike<number>, toJson);
  if (Array.isArray(v)) return v.map(toJson);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toJson(x);
    return out;
  }
  return v;
}

/**
 * Builds and validates a result document (fills in `schema`, clade version and `createdAt`).
 *
 * @example
 * const r = makeResult({
 *   kind: 'knn', inputs: [await describeInput('emb.npy')], params: { k: 200, T: 0.1 },
 *   timings: { knn: 1.9 }, metrics: { top1: 0.81 },
 *   series: { homogeneity: { p: [1, 10, 100], fraction: [0.87, 0.8, 0.7] } },
 * });
 */
export function makeResult(init: ResultInit): CladeResult {
  const createdAt =
    init.createdAt instanceof Date
      ? init.createdAt.toISOString()
      : (init.createdAt ?? new Date().toISOString());
  const doc = toJson({
    schema: RESULT_SCHEMA_ID,
    kind: init.kind,
    name: init.name,
    clade: {
      version: cladeVersion(),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    createdAt,
    inputs: init.inputs ?? [],
    params: init.params ?? {},
    timings: init.timings ?? {},
    metrics: init.metrics,
    series: init.series,
    projection: init.projection,
  });
  return validateResult(doc, `makeResult(${init.kind})`);
}

/** JSON with sorted keys, so equal values hash equally. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/**
 * A result's identity: 12 hex digits of SHA-256 over kind, name, input hashes and params — not timings, metrics or
 * date, so re-running the same evaluation on the same inputs maps to the same file (what `skipExisting` relies on).
 *
 * @example
 * resultId({ kind: 'knn', inputs, params: { k: 200 } }); // '3f9a1c0b7e21'
 */
export function resultId(r: Pick<CladeResult, 'kind' | 'inputs' | 'params'> & { name?: string }): string {
  const key = canonical({
    kind: r.kind,
    name: r.name ?? null,
    inputs: r.inputs.map((i) => i.sha256),
    params: toJson(r.params),
  });
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/**
 * Where {@link writeResult} puts a result: `<dir>/<kind>-<id>.json`. Call it before an expensive evaluation to
 * skip work whose result already exists.
 *
 * @example
 * if (existsSync(resultPath('runs', { kind: 'rld', inputs, params }))) return;
 */
export function resultPath(
  dir: string,
  r: Pick<CladeResult, 'kind' | 'inputs' | 'params'> & { name?: string },
): string {
  return join(dir, `${r.kind}-${resultId(r)}.json`);
}

/**
 * Writes a result atomically to `<dir>/<kind>-<id>.json`. With `skipExisting`, leaves an existing file alone (as
 * CLIP_benchmark's `--skip_existing`) and reports `skipped: true`.
 *
 * @example
 * const { path, skipped } = writeResult('runs/demo', r, { skipExisting: true });
 */
export function writeResult(
  dir: string,
  result: CladeResult,
  opts: { skipExisting?: boolean } = {},
): { path: string; skipped: boolean } {
  const path = resultPath(dir, result);
  if (opts.skipExisting && existsSync(path)) return { path, skipped: true };
  const valid = validateResult(toJson(result), path);
  writeFileAtomic(path, `${JSON.stringify(valid, null, 2)}\n`);
  return { path, skipped: false };
}

function readJson(file: string): unknown {
  if (!existsSync(file)) throw new CladeError('result file not found', { file });
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CladeError(`not valid JSON (${(e as Error).message})`, { file });
  }
}

/** True when a parsed JSON document declares itself a clade result (any version). */
function claimsResult(v: unknown): boolean {
  const schema = v && typeof v === 'object' ? (v as { schema?: unknown }).schema : undefined;
  return typeof schema === 'string' && schema.startsWith('clade.result/');
}

/**
 * Reads and validates one result file (any JSON file, whatever its name).
 *
 * @example
 * readResult('runs/demo/knn-3f9a1c0b7e21.json').metrics.top1; // 0.81
 */
export function readResult(file: string): CladeResult {
  return validateResult(readJson(file), file);
}

/**
 * Reads result files. Each argument is a `.json` file (validated strictly) or a directory, whose `*.json` files
 * are read in name order (not recursive; hidden files skipped). In a directory, JSON files that do not declare
 * `"schema": "clade.result/…"` (configs, model metadata…) are skipped; ones that do must be valid.
 *
 * @example
 * const results = readResults(['runs/demo']); // [{ file: 'runs/demo/knn-1a2b3c4d5e6f.json', result }, …]
 */
export function readResults(paths: string | readonly string[]): LoadedResult[] {
  const list = typeof paths === 'string' ? [paths] : paths;
  const files: { file: string; fromDir: boolean }[] = [];
  for (const p of list) {
    if (!existsSync(p)) throw new CladeError('no such file or directory', { file: p });
    if (statSync(p).isDirectory()) {
      const names = readdirSync(p)
        .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
        .sort();
      files.push(...names.map((n) => ({ file: join(p, n), fromDir: true })));
    } else files.push({ file: p, fromDir: false });
  }
  const seen = new Set<string>();
  const out: LoadedResult[] = [];
  for (const { file, fromDir } of files) {
    const abs = resolve(file);
    if (seen.has(abs)) continue;
    seen.add(abs);
    const value = readJson(file);
    if (fromDir && !claimsResult(value)) continue;
    out.push({ file, result: validateResult(value, file) });
  }
  return out;
}

/**
 * A short label for a result in tables and legends: its `name`, else the file name without `.json`, else its kind.
 *
 * @example
 * resultLabel({ file: 'runs/knn-3f9a1c0b7e21.json', result }); // 'knn-3f9a1c0b7e21' when result.name is unset
 */
export function resultLabel(r: ResultLike): string {
  const { file, result } = asLoaded(r);
  if (result.name) return result.name;
  return file ? basename(file, '.json') : result.kind;
}

import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { Rng } from '../../util/rng.ts';
import { CladeError } from '../../util/errors.ts';
import type { OnError, Sample, SkipReport, StreamDataset } from '../types.ts';
import { SkipLog } from './files.ts';
import { TEXT_TYPES } from '../taxonomy/text-types.ts';
import { decodeImage } from './decode-image.ts';
import { expandBraces } from './braces.ts';

const IMAGE_EXTS = new Set(['jpg', 'jpeg', 'png', 'webp']);

export interface WebDatasetOptions {
  /** Shuffle shard order each epoch (seeded by `seed` and `epoch`). Default true. */
  readonly shuffleShards?: boolean;
  /** Size of the sample shuffle buffer; 0 or 1 keeps the order of the shards. Default 0. */
  readonly bufferSize?: number;
  /** Decode images with sharp (default true); otherwise `image` is absent and the bytes are dropped. */
  readonly decode?: boolean;
  readonly onError?: OnError;
}

export interface WebDataset extends StreamDataset {
  readonly shards: readonly string[];
  /** What was skipped so far (with `onError: 'skip'`). */
  readonly skipped: readonly SkipReport[];
}

interface Group {
  key: string;
  shard: string;
  files: Map<string, Uint8Array>;
}

/**
 * WebDataset tar shards read as a stream (the format of open_clip and BioCLIP training data). Members are grouped
 * into samples by key (the member path up to the first dot of its file name; consecutive members with the same key
 * form one sample). Extensions: `jpg`/`jpeg`/`png`/`webp` → `image`; `txt` and `*.txt` → `texts` (keyed by the
 * extension without `.txt`, e.g. `sci`, `taxon_com`) and `captions` (`txt` first, then BioCLIP's five types in
 * `TEXT_TYPES` order, then the rest sorted); `cls` → `label`; `json` → lineage, variants, attributes, traits, tabular
 * and split (see `readMeta`). A shard cut mid-member throws naming the shard and member (or, with `skip`, ends that shard, reported).
 *
 * @example
 * const wds = webDataset('shards/train-{0000..0099}.tar', { bufferSize: 1000 });
 * for await (const s of wds.stream({ seed: 0, epoch: 3 })) ...
 */
export function webDataset(pattern: string | readonly string[], opts: WebDatasetOptions = {}): WebDataset {
  const shards = typeof pattern === 'string' ? expandBraces(pattern) : [...pattern];
  if (shards.length === 0) throw new CladeError('no shards');
  const log = new SkipLog(opts.onError);
  const bad = (e: CladeError) => log.bad(e);
  const decode = opts.decode ?? true;

  async function* groups(shard: string): AsyncGenerator<Group> {
    const ex = extract();
    const done = pipeline(createReadStream(shard), ex).catch((e: Error) => e);
    let current: Group | undefined;
    let member = '(header)';
    try {
      for await (const entry of ex) {
        member = entry.header.name;
        const chunks: Buffer[] = [];
        for await (const c of entry) chunks.push(c as Buffer);
        if (entry.header.type !== 'file') continue;
        const { key, ext } = splitName(member);
        if (!ext) continue;
        if (current && current.key !== key) {
          yield current;
          current = undefined;
        }
        current ??= { key, shard, files: new Map() };
        current.files.set(ext, new Uint8Array(Buffer.concat(chunks)));
        member = '(after ' + member + ')';
      }
      const err = await done;
      if (err) throw err;
    } catch (e) {
      const msg = (e as Error).message;
      bad(new CladeError(`shard cut or corrupt (${msg})`, { file: shard, member }));
      // The group read before the cut member is complete when that member starts a new key; otherwise drop it.
      if (current && !member.startsWith('(') && splitName(member).key !== current.key) yield current;
      return;
    }
    if (current) yield current;
  }

  async function toSample(g: Group, index: number): Promise<Sample | undefined> {
    const texts: Record<string, string> = {};
    let image;
    let label: number | undefined;
    let meta: Meta = { attributes: {}, traits: {} };
    for (const [ext, bytes] of g.files) {
      const where = { file: g.shard, member: `${g.key}.${ext}` };
      if (IMAGE_EXTS.has(ext)) {
        if (!decode) continue;
        try {
          image = await decodeImage(bytes, { where });
        } catch (e) {
          bad(e as CladeError);
          return undefined;
        }
      } else if (ext === 'txt' || ext.endsWith('.txt'))
        texts[ext === 'txt' ? 'txt' : ext.slice(0, -4)] = utf8(bytes).trim();
      else if (ext === 'cls') {
        const v = Number(utf8(bytes).trim());
        if (!Number.isInteger(v)) {
          bad(new CladeError(`class '${utf8(bytes).trim()}' is not an integer`, where));
          return undefined;
        }
        label = v;
      } else if (ext === 'json') {
        let obj: unknown;
        try {
          obj = JSON.parse(utf8(bytes));
        } catch (e) {
          bad(new CladeError(`invalid JSON: ${(e as Error).message}`, where));
          return undefined;
        }
        if (obj && typeof obj === 'object' && !Array.isArray(obj))
          meta = readMeta(obj as Record<string, unknown>);
      }
    }
    const order = (k: string) =>
      k === 'txt'
        ? -1
        : (TEXT_TYPES as readonly string[]).indexOf(k) >= 0
          ? (TEXT_TYPES as readonly string[]).indexOf(k)
          : 100;
    const keys = Object.keys(texts).sort((a, b) => order(a) - order(b) || (a < b ? -1 : a > b ? 1 : 0));
    return {
      index,
      id: `${g.shard}/${g.key}`,
      image,
      label,
      captions: keys.length ? keys.map((k) => texts[k]) : undefined,
      texts: keys.length ? texts : undefined,
      lineage: meta.lineage,
      variants: meta.variants,
      attributes: Object.keys(meta.attributes).length ? meta.attributes : undefined,
      traits: Object.keys(meta.traits).length ? meta.traits : undefined,
      tabular: meta.tabular,
      split: meta.split,
    };
  }

  async function* stream({
    seed = 0,
    epoch = 0,
  }: { seed?: number; epoch?: number } = {}): AsyncGenerator<Sample> {
    const rng = new Rng(seed).fork(`webdataset/epoch:${epoch}`);
    const order = [...shards];
    if (opts.shuffleShards ?? true) rng.shuffle(order);
    const size = opts.bufferSize ?? 0;
    const buffer: Sample[] = [];
    let index = 0;
    for (const shard of order)
      for await (const g of groups(shard)) {
        const s = await toSample(g, index);
        if (!s) continue;
        index++;
        if (size <= 1) {
          yield s;
          continue;
        }
        if (buffer.length < size) {
          buffer.push(s);
          continue;
        }
        const j = rng.int(size);
        yield buffer[j];
        buffer[j] = s;
      }
    rng.shuffle(buffer);
    yield* buffer;
  }

  return { name: typeof pattern === 'string' ? pattern : 'webdataset', shards, skipped: log.skipped, stream };
}

interface Meta {
  lineage?: (string | null)[];
  variants?: Record<string, string>;
  attributes: Record<string, string>;
  traits: Record<string, number>;
  tabular?: Float32Array;
  split?: string;
}

/**
 * A sample's `.json`: the keys `lineage` (array), `variants`, `attributes`, `traits` (objects), `tabular` (numbers)
 * and `split` fill those fields (as `writeWebDataset` writes them); other string values become attributes and
 * other numbers traits.
 */
function readMeta(obj: Record<string, unknown>): Meta {
  const m: Meta = { attributes: {}, traits: {} };
  const strings = (v: unknown) =>
    Object.fromEntries(Object.entries(v as object).filter(([, x]) => typeof x === 'string')) as Record<
      string,
      string
    >;
  for (const [k, v] of Object.entries(obj)) {
    if (v === null || v === undefined) continue;
    if (k === 'lineage' && Array.isArray(v))
      m.lineage = v.map((x) => (typeof x === 'string' && x ? x : null));
    else if (k === 'variants' && typeof v === 'object') m.variants = strings(v);
    else if (k === 'attributes' && typeof v === 'object') Object.assign(m.attributes, strings(v));
    else if (k === 'traits' && typeof v === 'object') {
      for (const [t, x] of Object.entries(v as object)) if (typeof x === 'number') m.traits[t] = x;
    } else if (k === 'tabular' && Array.isArray(v)) m.tabular = Float32Array.from(v, Number);
    else if (k === 'split' && typeof v === 'string') m.split = v;
    else if (k === 'id') continue;
    else if (typeof v === 'string') m.attributes[k] = v;
    else if (typeof v === 'number') m.traits[k] = v;
  }
  return m;
}

/** `dir/abc.def.jpg` → key `dir/abc`, extension `def.jpg` (WebDataset splits at the first dot of the file name). */
export function splitName(name: string): { key: string; ext: string } {
  const slash = name.lastIndexOf('/');
  const dot = name.indexOf('.', slash + 1);
  if (dot < 0) return { key: name, ext: '' };
  return { key: name.slice(0, dot), ext: name.slice(dot + 1).toLowerCase() };
}

function utf8(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

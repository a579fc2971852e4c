import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { Rng } from '../../util/rng.ts';
import { CladeError } from '../../util/errors.ts';
import type { OnError, ResumableStreamDataset, Sample, SkipReport, StreamCursor } from '../types.ts';
import { SkipLog } from './files.ts';
import { isTextType, TEXT_TYPES } from '../taxonomy/text-types.ts';
import { decodeImage } from './decode-image.ts';
import { expandBraces } from './braces.ts';

const IMAGE_EXTS = new Set(['jpg', 'jpeg', 'png', 'webp']);

export interface WebDatasetOptions {
  /** Shuffle shard order each epoch (seeded by `seed` and `epoch`). Default true. */
  readonly shuffleShards?: boolean;
  /** Size of the sample shuffle buffer; 0 or 1 keeps the order of the shards. Default 0. */
  readonly bufferSize?: number;
  /**
   * Decode images with sharp when a sample is taken (default true). With `false` the encoded bytes are passed on as
   * `imageBytes`, so the loader's worker threads decode them (`withImage`, `viewsTransform`).
   */
  readonly decode?: boolean;
  readonly onError?: OnError;
}

/**
 * Where a WebDataset stream is, as a checkpoint stores it: the shard being read (its position in the epoch's shard
 * order), how many member groups of it were taken, the shuffle buffer as references to (shard position, group,
 * sample index) and the buffer's RNG state. Its size is O(bufferSize), whatever the dataset size.
 */
export interface WebDatasetState {
  readonly epoch: number;
  /** Number of shards and buffer size of the stream that wrote it (checked on resume). */
  readonly shards: number;
  readonly bufferSize: number;
  /** Position in this epoch's shard order of the shard being read (`shards` once every shard is read). */
  readonly shard: number;
  /** Member groups of that shard already taken. */
  readonly group: number;
  /** Samples taken from the shards so far this epoch (the next one's `index`). */
  readonly taken: number;
  readonly rng: readonly number[];
  /** The shuffle buffer in order: [shard position, group, sample index]. */
  readonly buffer: readonly (readonly [number, number, number])[];
}

export interface WebDataset extends ResumableStreamDataset<WebDatasetState> {
  readonly shards: readonly string[];
  /** What was skipped so far (with `onError: 'skip'`). */
  readonly skipped: readonly SkipReport[];
  open(opts?: { seed?: number; epoch?: number; from?: WebDatasetState }): WebDatasetCursor;
}

export interface WebDatasetCursor extends StreamCursor<WebDatasetState> {
  state(): WebDatasetState;
}

interface Group {
  key: string;
  shard: string;
  files: Map<string, Uint8Array>;
}

/** A group read into the shuffle buffer, with its reference. */
interface Entry {
  readonly ref: readonly [number, number, number];
  readonly group: Group;
}

/**
 * WebDataset tar shards read as a stream (the format of open_clip and BioCLIP training data). Members are grouped
 * into samples by key (the member path up to the first dot of its file name; consecutive members with the same key
 * form one sample). Extensions: `jpg`/`jpeg`/`png`/`webp` → `image`; `txt` and `*.txt` → `texts` (keyed by the
 * extension without `.txt`, e.g. `sci`, `taxon_com`) and `captions` (`txt` first, then BioCLIP's five types in
 * `TEXT_TYPES` order; other `*.txt` only when none of the five is present, e.g. BioCLIP's `scientific_name.txt`
 * stays out of the captions); `cls` → `label`; `json` → lineage, variants, attributes, traits, tabular and split
 * (see `readMeta`). A shard cut mid-member throws naming the shard and member (or, with `skip`, ends that shard,
 * reported).
 *
 * Shards are read one at a time with tar-stream, and the shuffle buffer holds encoded members, so memory does not
 * grow with the number or size of shards. `open({ seed, epoch, from })` gives a cursor whose `state()` a checkpoint
 * can store; opening from it continues with exactly the samples that would have followed (the buffered samples are
 * re-read from their shards, the current shard is re-read up to the stored group, nothing else).
 *
 * @example
 * const wds = webDataset('shards/train-{0000..0099}.tar', { bufferSize: 1000 });
 * for await (const s of wds.stream({ seed: 0, epoch: 3 })) ...
 * const c = wds.open({ seed: 0, epoch: 3 }); await c.next(); const saved = c.state();
 * const resumed = wds.open({ seed: 0, epoch: 3, from: saved }); // the same next samples
 */
export function webDataset(pattern: string | readonly string[], opts: WebDatasetOptions = {}): WebDataset {
  const shards = typeof pattern === 'string' ? expandBraces(pattern) : [...pattern];
  if (shards.length === 0) throw new CladeError('no shards');
  const name = typeof pattern === 'string' ? pattern : 'webdataset';
  const log = new SkipLog(opts.onError);
  const bad = (e: CladeError) => log.bad(e);
  const decode = opts.decode ?? true;
  const bufferSize = opts.bufferSize ?? 0;
  if (!(Number.isInteger(bufferSize) && bufferSize >= 0))
    throw new CladeError(`bufferSize must be a non-negative integer, got ${bufferSize}`, {
      field: 'bufferSize',
    });

  async function* groups(shard: string): AsyncGenerator<Group> {
    const rs = createReadStream(shard);
    const ex = extract();
    const done = pipeline(rs, ex).catch((e: Error) => e);
    let current: Group | undefined;
    let member = '(header)';
    try {
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
    } finally {
      rs.destroy();
      ex.destroy();
    }
  }

  async function toSample(g: Group, index: number): Promise<Sample | undefined> {
    const texts: Record<string, string> = {};
    let image;
    let imageBytes: Uint8Array | undefined;
    let label: number | undefined;
    let meta: Meta = { attributes: {}, traits: {} };
    for (const [ext, bytes] of g.files) {
      const where = { file: g.shard, member: `${g.key}.${ext}` };
      if (IMAGE_EXTS.has(ext)) {
        if (!decode) {
          imageBytes = bytes;
          continue;
        }
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
    const keys = captionKeys(Object.keys(texts));
    return {
      index,
      id: `${g.shard}/${g.key}`,
      image,
      imageBytes,
      label,
      captions: keys.length ? keys.map((k) => texts[k]) : undefined,
      texts: Object.keys(texts).length ? texts : undefined,
      lineage: meta.lineage,
      variants: meta.variants,
      attributes: Object.keys(meta.attributes).length ? meta.attributes : undefined,
      traits: Object.keys(meta.traits).length ? meta.traits : undefined,
      tabular: meta.tabular,
      split: meta.split,
    };
  }

  /** Groups `wanted` (ordinals, ascending) of one shard; undefined where the shard ended first. */
  async function readGroups(shard: string, wanted: readonly number[]): Promise<Map<number, Group>> {
    const out = new Map<number, Group>();
    if (!wanted.length) return out;
    const want = new Set(wanted);
    const last = wanted[wanted.length - 1];
    let g = 0;
    for await (const group of groups(shard)) {
      if (want.has(g)) out.set(g, group);
      if (++g > last) break;
    }
    return out;
  }

  function open({
    seed = 0,
    epoch = 0,
    from,
  }: { seed?: number; epoch?: number; from?: WebDatasetState } = {}): WebDatasetCursor {
    let rng = new Rng(seed).fork(`webdataset/epoch:${epoch}`);
    const order = [...shards];
    if (opts.shuffleShards ?? true) rng.shuffle(order);
    let shard = 0;
    let group = 0;
    let taken = 0;
    let buffer: Entry[] = [];
    let reader: AsyncGenerator<Group> | null = null;
    let restored: Promise<void> | null = null;
    if (from) {
      const where = { field: 'stream state' };
      if (from.epoch !== epoch) throw new CladeError(`state is for epoch ${from.epoch}, not ${epoch}`, where);
      if (from.shards !== shards.length || from.bufferSize !== bufferSize)
        throw new CladeError(
          `state was saved with ${from.shards} shards and bufferSize ${from.bufferSize}; this stream has ` +
            `${shards.length} and ${bufferSize}`,
          where,
        );
      rng = new Rng([...from.rng]);
      ({ shard, group, taken } = from);
      restored = (async () => {
        const byShard = new Map<number, number[]>();
        for (const [s, g] of from.buffer) byShard.set(s, [...(byShard.get(s) ?? []), g]);
        const read = new Map<number, Map<number, Group>>();
        for (const [s, gs] of byShard)
          read.set(
            s,
            await readGroups(
              order[s],
              [...gs].sort((a, b) => a - b),
            ),
          );
        buffer = from.buffer.map((ref) => {
          const g = read.get(ref[0])!.get(ref[1]);
          if (!g)
            throw new CladeError(`group ${ref[1]} of the shard is gone: did the shards change?`, {
              file: order[ref[0]],
            });
          return { ref: [...ref] as [number, number, number], group: g };
        });
        if (shard < order.length) {
          reader = groups(order[shard]);
          for (let i = 0; i < group; i++) if ((await reader.next()).done) break;
        }
      })();
      restored.catch(() => {}); // surfaced by next()
    }

    /** The next group from the shards (moving on to the next shard at the end of one), or undefined at the end. */
    async function pull(): Promise<Entry | undefined> {
      while (shard < order.length) {
        reader ??= groups(order[shard]);
        const r = await reader.next();
        if (!r.done) return { ref: [shard, group++, taken++], group: r.value };
        reader = null;
        shard++;
        group = 0;
      }
      return undefined;
    }

    async function nextEntry(): Promise<Entry | undefined> {
      if (bufferSize <= 1) return pull();
      while (buffer.length < bufferSize) {
        const e = await pull();
        if (!e) break;
        buffer.push(e);
      }
      if (!buffer.length) return undefined;
      const incoming = buffer.length === bufferSize ? await pull() : undefined;
      if (incoming) {
        const j = rng.int(bufferSize);
        const out = buffer[j];
        buffer[j] = incoming;
        return out;
      }
      // Every shard is read: drain the buffer in random order.
      const j = rng.int(buffer.length);
      const out = buffer[j];
      buffer[j] = buffer[buffer.length - 1];
      buffer.pop();
      return out;
    }

    return {
      async next() {
        if (restored) await restored;
        for (;;) {
          const e = await nextEntry();
          if (!e) return undefined;
          const s = await toSample(e.group, e.ref[2]);
          if (s) return s;
        }
      },
      state: () => ({
        epoch,
        shards: shards.length,
        bufferSize,
        shard,
        group,
        taken,
        rng: rng.state(),
        buffer: buffer.map((e) => [...e.ref] as [number, number, number]),
      }),
      async close() {
        await reader?.return(undefined);
        reader = null;
      },
    };
  }

  async function* stream({
    seed = 0,
    epoch = 0,
  }: { seed?: number; epoch?: number } = {}): AsyncGenerator<Sample> {
    const c = open({ seed, epoch });
    try {
      for (let s = await c.next(); s; s = await c.next()) yield s;
    } finally {
      await c.close();
    }
  }

  return { name, shards, skipped: log.skipped, stream, open };
}

/** Caption order: `txt`, then BioCLIP's five types; other texts only when none of the five is present. */
function captionKeys(keys: readonly string[]): string[] {
  const types = TEXT_TYPES.filter((t) => keys.includes(t));
  const rest = keys.filter((k) => k !== 'txt' && !isTextType(k)).sort();
  return [...(keys.includes('txt') ? ['txt'] : []), ...types, ...(types.length ? [] : rest)];
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

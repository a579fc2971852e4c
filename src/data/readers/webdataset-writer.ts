import { join } from 'node:path';
import sharp from 'sharp';
import { pack } from 'tar-stream';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { CladeError } from '../../util/errors.ts';
import type { Sample } from '../types.ts';

/**
 * Writes samples as WebDataset tar shards `<dir>/<prefix>-000000.tar`, … (each written atomically): `key.png`
 * (lossless), `key.<type>.txt` for each named text (else `key.txt`, the first caption), `key.cls` (label) and `key.json`
 * (lineage, variants, traits, attributes, tabular, split). Returns the shard paths; `webDataset` reads them back.
 *
 * @example
 * const shards = await writeWebDataset(samplesOf(syntheticTaxonomy({ perSpecies: 10 })), 'out', { maxPerShard: 200 });
 */
export async function writeWebDataset(
  samples: Iterable<Sample> | AsyncIterable<Sample>,
  dir: string,
  opts: { prefix?: string; maxPerShard?: number } = {},
): Promise<string[]> {
  const prefix = opts.prefix ?? 'shard';
  const max = opts.maxPerShard ?? 1000;
  if (!(Number.isInteger(max) && max >= 1))
    throw new CladeError(`maxPerShard must be a positive integer, got ${max}`, { field: 'maxPerShard' });
  const shards: string[] = [];
  let members: [string, Buffer][] = [];
  let count = 0;
  const flush = async () => {
    if (count === 0) return;
    const file = join(dir, `${prefix}-${String(shards.length).padStart(6, '0')}.tar`);
    writeFileAtomic(file, await tarOf(members));
    shards.push(file);
    members = [];
    count = 0;
  };
  let n = 0;
  for await (const s of samples) {
    const key = `${String(n++).padStart(8, '0')}`;
    if (s.image) {
      const { data, width, height, channels } = s.image;
      members.push([`${key}.png`, await sharp(data, { raw: { width, height, channels } }).png().toBuffer()]);
    }
    if (s.texts)
      for (const [type, text] of Object.entries(s.texts))
        members.push([type === 'txt' ? `${key}.txt` : `${key}.${type}.txt`, Buffer.from(text)]);
    else if (s.captions?.length) members.push([`${key}.txt`, Buffer.from(s.captions[0])]);
    if (s.label !== undefined) members.push([`${key}.cls`, Buffer.from(String(s.label))]);
    const meta = {
      id: s.id,
      lineage: s.lineage,
      variants: s.variants,
      traits: s.traits,
      attributes: s.attributes,
      tabular: s.tabular ? Array.from(s.tabular) : undefined,
      split: s.split,
    };
    members.push([`${key}.json`, Buffer.from(JSON.stringify(meta))]);
    if (++count === max) await flush();
  }
  await flush();
  return shards;
}

/** All samples of a random-access dataset, in order. */
export function* samplesOf(ds: { length: number; get(i: number): Sample }): Generator<Sample> {
  for (let i = 0; i < ds.length; i++) yield ds.get(i);
}

/** A tar archive of `members` (name, bytes) in memory. */
export async function tarOf(members: [string, Buffer][]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const end = new Promise<void>((resolve, reject) => {
    p.on('end', () => resolve());
    p.on('error', (e: unknown) => reject(e));
  });
  for (const [name, data] of members) p.entry({ name }, data);
  p.finalize();
  await end;
  return Buffer.concat(chunks);
}

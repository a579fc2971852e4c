import { join } from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { CladeError } from '../../util/errors.ts';
import { TEXT_TYPES } from '../taxonomy/text-types.ts';
import { tarOf } from '../readers/webdataset-writer.ts';
import { syntheticTaxonomy } from './synthetic-taxonomy.ts';

export interface SyntheticShardsOptions {
  readonly shards: number;
  readonly perShard: number;
  /** Image side in pixels (default 64). */
  readonly size?: number;
  readonly seed?: number;
  /** JPEG quality (default 90). */
  readonly quality?: number;
  readonly prefix?: string;
}

/**
 * Writes synthetic-taxonomy samples as WebDataset shards in BioCLIP's layout: `<key>.jpg` and the five text types
 * `<key>.sci.txt`, `.com.txt`, `.taxon.txt`, `.sci_com.txt`, `.taxon_com.txt` (each `a photo of ….`), plus
 * `<key>.cls` (species). Sample `n` of the output is `syntheticTaxonomy(...).get(n)`. Shards are written one at a
 * time (atomically), so memory holds one shard. Returns the shard paths (`<prefix>-000000.tar`, …).
 *
 * @example
 * const shards = await writeSyntheticShards('out', { shards: 20, perShard: 1000 });
 */
export async function writeSyntheticShards(dir: string, o: SyntheticShardsOptions): Promise<string[]> {
  for (const [k, v] of [
    ['shards', o.shards],
    ['perShard', o.perShard],
  ] as const)
    if (!(Number.isInteger(v) && v >= 1))
      throw new CladeError(`${k} must be a positive integer, got ${v}`, { field: k });
  const total = o.shards * o.perShard;
  const ds = syntheticTaxonomy({ seed: o.seed ?? 0, size: o.size ?? 64, perSpecies: Math.ceil(total / 60) });
  const out: string[] = [];
  for (let s = 0; s < o.shards; s++) {
    const members: [string, Buffer][] = [];
    for (let i = 0; i < o.perShard; i++) {
      const n = s * o.perShard + i;
      const x = ds.get(n);
      const key = String(n).padStart(9, '0');
      const { data, width, height, channels } = x.image!;
      const jpg = await sharp(data, { raw: { width, height, channels } })
        .jpeg({ quality: o.quality ?? 90 })
        .toBuffer();
      members.push([`${key}.jpg`, jpg]);
      for (const t of TEXT_TYPES) members.push([`${key}.${t}.txt`, Buffer.from(x.texts![t])]);
      members.push([`${key}.cls`, Buffer.from(String(x.label))]);
    }
    const file = join(dir, `${o.prefix ?? 'shard'}-${String(s).padStart(6, '0')}.tar`);
    writeFileAtomic(file, await tarOf(members));
    out.push(file);
  }
  return out;
}

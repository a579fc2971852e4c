/**
 * Generated training data for the `data` SPEC tests: a small two-rank taxonomy (genus → species) of 16 px PNGs
 * written as an ImageFolder and as a Parquet / CSV manifest with rank, common-name, caption, split and tabular
 * columns. Each species has its own colour and stripe, so a few training steps can separate them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { Rng } from '../../src/util/rng.ts';

export const SPECIES = [
  { genus: 'Pica', species: 'Pica pica', common: 'magpie', rgb: [220, 40, 40] },
  { genus: 'Pica', species: 'Pica hudsonia', common: 'black billed magpie', rgb: [200, 90, 30] },
  { genus: 'Corvus', species: 'Corvus corax', common: 'raven', rgb: [30, 60, 220] },
  { genus: 'Corvus', species: 'Corvus corone', common: 'carrion crow', rgb: [40, 180, 200] },
] as const;

/** The ranks above genus, the same for every species (corvids). */
const CORVIDAE = {
  kingdom: 'Animalia',
  phylum: 'Chordata',
  class: 'Aves',
  order: 'Passeriformes',
  family: 'Corvidae',
};

export interface SpecFixture {
  readonly dir: string;
  /** ImageFolder root (`<dir>/folder/<species>/<i>.png`). */
  readonly folder: string;
  readonly parquet: string;
  readonly csv: string;
  /** Rows per species. */
  readonly perSpecies: number;
}

/** A 16×16 RGB PNG of species `k`, sample `i`: its colour, a stripe at a species-specific row, noise. */
async function png(k: number, i: number, rng: Rng): Promise<Buffer> {
  const s = 16;
  const px = Buffer.alloc(s * s * 3);
  const [r, g, b] = SPECIES[k].rgb;
  for (let y = 0; y < s; y++)
    for (let x = 0; x < s; x++) {
      const stripe = y === 3 * k + 2 ? 80 : 0;
      const n = () => Math.round(rng.normal() * 12);
      px.set(
        [r, g, b].map((c) => Math.max(0, Math.min(255, c - stripe + n() + i))),
        (y * s + x) * 3,
      );
    }
  return sharp(px, { raw: { width: s, height: s, channels: 3 } })
    .png()
    .toBuffer();
}

/**
 * Write the fixture under `dir`: `perSpecies` images per species; manifest rows carry the seven ranks kingdom …
 * species, a common name, a caption, `split` (every 4th row `val`) and two tabular features (wing, mass; one missing value).
 *
 * @example
 * const f = await writeSpecFixture(mkdtempSync(join(tmpdir(), 'x-')), 12);
 * // f.parquet + '?image=path&ranks=genus,species&common=common&split=split&tabular=wing,mass'
 */
export async function writeSpecFixture(dir: string, perSpecies = 12): Promise<SpecFixture> {
  const rng = new Rng(7);
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < perSpecies; i++)
    for (let k = 0; k < SPECIES.length; k++) {
      const sp = SPECIES[k];
      const rel = join('folder', sp.species, `${i}.png`);
      mkdirSync(join(dir, 'folder', sp.species), { recursive: true });
      writeFileSync(join(dir, rel), await png(k, i, rng));
      rows.push({
        path: rel,
        ...CORVIDAE,
        genus: sp.genus,
        species: sp.species,
        common: sp.common,
        caption: `a photo of a ${sp.common} seen in the field.`,
        split: i % 4 === 3 ? 'val' : 'train',
        wing: k * 10 + rng.normal() * 2,
        mass: rows.length === 5 ? null : 100 + k * 25 + rng.normal() * 5,
      });
    }
  const cols = Object.keys(rows[0]);
  const parquet = join(dir, 'photos.parquet');
  const buf = parquetWriteBuffer({
    columnData: cols.map((name) => ({
      name,
      data: rows.map((r) => r[name]),
      type: typeof rows[0][name] === 'number' ? ('DOUBLE' as const) : ('STRING' as const),
    })),
  });
  writeFileSync(parquet, new Uint8Array(buf));
  const csv = join(dir, 'photos.csv');
  const cell = (v: unknown) => (v === null ? '' : /[",]/.test(String(v)) ? `"${v}"` : String(v));
  writeFileSync(
    csv,
    [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\n') + '\n',
  );
  return { dir, folder: join(dir, 'folder'), parquet, csv, perSpecies };
}

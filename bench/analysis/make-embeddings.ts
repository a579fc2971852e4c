/**
 * `node bin/run-ts.mjs bench/analysis/make-embeddings.ts DIR [--n 60000] [--d 512] [--classes 100] [--spread 5]`
 *
 * Writes a seeded Gaussian-mixture embedding file `DIR/embeddings.npy` ([n, d] float32, unit rows) and
 * `DIR/meta.csv` (`label` column) for timing `clade analyze` at scale (docs/analysis.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpy } from '../../src/io/npy.ts';
import { Rng } from '../../src/util/rng.ts';
import { mixture } from './mixture.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const dir = args[0];
if (!dir || dir.startsWith('--')) {
  console.error('usage: make-embeddings.ts DIR [--n 60000] [--d 512] [--classes 100] [--spread 5]');
  process.exit(2);
}
const n = opt('n', 60000);
const d = opt('d', 512);
const { x, y } = mixture(new Rng(opt('seed', 1)), n, d, opt('classes', 100), opt('spread', 5));
mkdirSync(dir, { recursive: true });
writeNpy(join(dir, 'embeddings.npy'), x.data, [n, d]);
writeFileSync(join(dir, 'meta.csv'), 'label\n' + Array.from(y, (c) => `c${c}`).join('\n') + '\n');
console.log(`${join(dir, 'embeddings.npy')}: ${n} × ${d}, ${opt('classes', 100)} classes`);

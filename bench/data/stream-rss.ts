/**
 * `node bin/run-ts.mjs bench/data/stream-rss.ts [--shards 20] [--per-shard 1000] [--size 96] [--rounds 3]
 *   [--buffer 1000] [--workers 2] [--dir DIR]`
 * Peak RSS of streaming one epoch of WebDataset shards (BioCLIP layout, synthetic-taxonomy JPEGs) through the
 * StreamLoader: decode + two SimCLR views (32 px) in worker threads, shuffle buffer `--buffer`, batch 64. Runs the
 * first shard alone and all `--shards`, each in a fresh process, interleaved round by round; prints the medians and
 * the difference (issue 11: it must stay within +200 MB). Shards are generated once into `--dir` (default
 * .clade-cache/stream-rss) and reused.
 */
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticShards } from '../../src/data/synthetic/synthetic-shards.ts';
import { median } from '../common.ts';

const args = process.argv.slice(2);
const opt = (k: string, d: string) => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 ? args[i + 1] : d;
};
const shards = Number(opt('shards', '20'));
const perShard = Number(opt('per-shard', '1000'));
const size = Number(opt('size', '96'));
const rounds = Number(opt('rounds', '3'));
const bufferSize = Number(opt('buffer', '1000'));
const workers = Number(opt('workers', '2'));
const dir = resolve(opt('dir', `.clade-cache/stream-rss/${shards}x${perShard}-${size}px`));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const name = (s: number) => join(dir, `shard-${String(s).padStart(6, '0')}.tar`);
if (!existsSync(name(shards - 1))) {
  mkdirSync(dir, { recursive: true });
  const t = performance.now();
  await writeSyntheticShards(dir, { shards, perShard, size });
  console.log(
    `wrote ${shards} x ${perShard} JPEGs (${size} px) in ${((performance.now() - t) / 1000).toFixed(0)} s`,
  );
}
const du = execSync(`du -sm ${dir}`).toString().split('\t')[0];

function measure(pattern: string) {
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      join(ROOT, 'node_modules/tsx/dist/esm/index.mjs'),
      join(ROOT, 'src/data/loader/stream-rss-child.ts'),
      JSON.stringify({ pattern, bufferSize, batchSize: 64, workers, size: 32 }),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    samples: number;
    seconds: number;
    maxRssMB: number;
  };
}

const one = join(dir, 'shard-000000.tar');
const all = join(dir, `shard-{000000..${String(shards - 1).padStart(6, '0')}}.tar`);
const a: ReturnType<typeof measure>[] = [];
const b: ReturnType<typeof measure>[] = [];
for (let r = 0; r < rounds; r++) {
  a.push(measure(one));
  b.push(measure(all));
  console.log(
    `round ${r + 1}: 1 shard ${a[r].maxRssMB.toFixed(0)} MB (${a[r].samples} samples, ${a[r].seconds.toFixed(1)} s); ` +
      `${shards} shards ${b[r].maxRssMB.toFixed(0)} MB (${b[r].samples} samples, ${b[r].seconds.toFixed(1)} s)`,
  );
}
const ma = median(a.map((x) => x.maxRssMB));
const mb = median(b.map((x) => x.maxRssMB));
const cpu = execSync("lscpu | grep 'Model name' | sed 's/.*: *//'").toString().trim();
console.log(
  `\npeak RSS, median of ${rounds}: 1 shard ${ma.toFixed(0)} MB, ${shards} shards (${shards * perShard} JPEGs, ${du} MB on disk) ` +
    `${mb.toFixed(0)} MB: ${mb - ma >= 0 ? '+' : ''}${(mb - ma).toFixed(0)} MB (limit +200 MB)` +
    `\nbuffer ${bufferSize}, batch 64, ${workers} workers, SimCLR views at 32 px; CPU: ${cpu}`,
);

/**
 * Bench case (g): `clade analyze DATA.lance --ann` end to end, as a user runs it (a `node bin/clade.mjs` process
 * under `/usr/bin/time -v` for its peak RSS), on N × 256 unit rows of a 1,000-class Gaussian mixture written as a
 * Lance dataset without an index: the run builds its IVF index (the engine's IVF-Flat by default; `--ann-backend lance`
 * in `extra` for LanceDB's IVF-PQ), streams every row as a query (kNN train → test, sparse RLD, class homogeneity,
 * Calinski–Harabasz) and checks recall@k against an exact search on sampled queries.
 * Reports wall time, the stages the results record, peak RSS and the recall check. No reference side.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeLanceEmbeddings } from '../../src/io/lance.ts';
import { Rng } from '../../src/util/rng.ts';
import { mixture } from './mixture.ts';

export interface LanceAnalyzeResult {
  n: number;
  d: number;
  write: number;
  seconds: number;
  peakRssMiB: number | null;
  timings: Record<string, number>;
  ann: Record<string, unknown>;
  metrics: Record<string, number>;
}

/** Run case (g) at `n` rows in `dir` (`check` recall queries; `extra` CLI options, e.g. `--nprobes 40`). */
export async function lanceAnalyzeCase(
  dir: string,
  n: number,
  o: { d?: number; check?: number; extra?: string[]; log?: (l: string) => void } = {},
): Promise<LanceAnalyzeResult> {
  const d = o.d ?? 256;
  const log = o.log ?? (() => {});
  const root = fileURLToPath(new URL('../..', import.meta.url));
  mkdirSync(dir, { recursive: true });
  // 1,000 classes with noise σ 1 per dimension against unit-σ centres (bench (f)'s data), labels kept
  const { x, y } = mixture(new Rng(7), n, d, 1000, 1);
  const ids = Array.from({ length: n }, (_, i) => String(i));
  const path = join(dir, 'emb.lance');
  let t = performance.now();
  await writeLanceEmbeddings(path, {
    embeddings: x,
    ids,
    labels: y,
    labelNames: Array.from(y, (l) => `c${l}`),
  });
  const write = (performance.now() - t) / 1000;
  log(`(g) wrote ${n} × ${d} as Lance in ${write.toFixed(1)} s`);
  const out = join(dir, 'out');
  rmSync(out, { recursive: true, force: true }); // results of an earlier run would be read as this one's
  const argv = [
    join(root, 'bin/clade.mjs'),
    'analyze',
    path,
    '--meta',
    path,
    '--label-col',
    'label_name',
    '--ann',
    '--ann-check',
    String(o.check ?? 500),
    '--out',
    out,
    ...(o.extra ?? []),
  ];
  const timeV = existsSync('/usr/bin/time');
  t = performance.now();
  const r = timeV
    ? spawnSync('/usr/bin/time', ['-v', process.execPath, ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 })
    : spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t) / 1000;
  if (r.status !== 0)
    throw new Error(`clade analyze --ann failed (${r.status}): ${(r.stderr ?? '').slice(-1500)}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '');
  const peakRssMiB = rss ? Number(rss[1]) / 1024 : null;
  log(`(g) clade analyze --ann ${seconds.toFixed(1)} s, peak RSS ${peakRssMiB?.toFixed(0) ?? 'n/a'} MiB`);
  const metrics: Record<string, number> = {};
  let timings: Record<string, number> = {};
  let ann: Record<string, unknown> = {};
  for (const f of readdirSync(out).filter((f) => f.endsWith('.json'))) {
    const res = JSON.parse(readFileSync(join(out, f), 'utf8'));
    const prefix = res.kind === 'knn' ? 'knn_' : '';
    for (const [k, v] of Object.entries(res.metrics ?? {}))
      if (typeof v === 'number') metrics[prefix + k] = v;
    timings = res.timings ?? timings;
    ann = res.params?.ann ?? ann;
  }
  return { n, d, write, seconds, peakRssMiB, timings, ann, metrics };
}

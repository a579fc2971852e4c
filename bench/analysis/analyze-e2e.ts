/**
 * Bench case (e): `clade analyze --analyses knn,linear-probe,cluster` end to end, as a user runs it (a `node
 * bin/clade.mjs` process on a .npy + CSV), against the same analyses composed from faiss + NumPy + scikit-learn
 * (reference_analyze.py, run as processes on the same files). Both sides are timed as wall clock of their
 * processes, interpreter start, file loading and imports included. The data: seeded Gaussian mixture (mixture.ts,
 * spread 5), 100 classes, unit rows, a `split` column with the first 80 % `train`, the rest `test`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeNpy } from '../../src/io/npy.ts';
import { Rng } from '../../src/util/rng.ts';
import { mixture } from './mixture.ts';
import { npyInt64 } from './npy-int64.ts';

export interface AnalyzeCaseResult {
  n: number;
  d: number;
  clade: { seconds: number; metrics: Record<string, number>; lambda: number };
  reference: {
    seconds: number;
    stages: { faiss: number; sklearn: number };
    /** OPENBLAS_CORETYPE the faiss stage ran under (its bundled OpenBLAS; '' = its own detection). */
    faissCoretype: string;
    metrics: Record<string, number>;
    lambda: number;
  } | null;
}

/** Writes `dir/emb.npy` [n, d] float32 and `dir/meta.csv` (label, split), plus the probe's validation rows. */
export function writeAnalyzeData(dir: string, n: number, d = 512, classes = 100): void {
  const { x, y } = mixture(new Rng(5), n, d, classes, 5);
  const ntr = Math.round(n * 0.8);
  writeNpy(join(dir, 'emb.npy'), x.data, [n, d]);
  let csv = 'label,split\n';
  for (let i = 0; i < n; i++) csv += `c${y[i]},${i < ntr ? 'train' : 'test'}\n`;
  writeFileSync(join(dir, 'meta.csv'), csv);
  // linearProbe's validation split (seed 0, valFraction 0.2): the reference fits on the same rows
  const perm = new Rng(0).permutation(ntr);
  const nVal = Math.max(1, Math.round(ntr * 0.2));
  writeFileSync(join(dir, 'val_idx.npy'), npyInt64(perm.subarray(0, nVal)));
  writeFileSync(join(dir, 'fit_idx.npy'), npyInt64(perm.subarray(nVal)));
}

const wall = (cmd: string, argv: string[], env: NodeJS.ProcessEnv, cwd: string) => {
  const t = performance.now();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env, cwd, maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t) / 1000;
  if (r.status !== 0)
    throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}): ${(r.stderr ?? '').slice(-800)}`);
  return { seconds, stdout: r.stdout };
};

export async function analyzeCase(
  dir: string,
  n: number,
  pys: { faiss: string | null; sklearn: string | null },
  refEnv: Record<string, string>,
  log: (line: string) => void,
): Promise<AnalyzeCaseResult> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeAnalyzeData(dir, n);
  const out = join(dir, 'out');
  const c = wall(
    process.execPath,
    [
      join(root, 'bin/clade.mjs'),
      'analyze',
      join(dir, 'emb.npy'),
      '--meta',
      join(dir, 'meta.csv'),
      '--label-col',
      'label',
      '--split-col',
      'split',
      '--analyses',
      'knn,linear-probe,cluster',
      '--out',
      out,
    ],
    process.env,
    dir,
  );
  log(`(e) clade analyze ${c.seconds.toFixed(1)} s`);
  const metrics: Record<string, number> = {};
  let lambda = NaN;
  for (const f of readdirSync(out).filter((f) => f.endsWith('.json'))) {
    const r = JSON.parse(readFileSync(join(out, f), 'utf8'));
    const prefix = r.kind === 'knn' ? 'knn_' : r.kind === 'linear-probe' ? 'probe_' : '';
    for (const [k, v] of Object.entries(r.metrics ?? {})) if (typeof v === 'number') metrics[prefix + k] = v;
    if (r.kind === 'linear-probe') lambda = r.params.lambda;
  }
  const clade = { seconds: c.seconds, metrics, lambda };
  if (!pys.faiss || !pys.sklearn) return { n, d: 512, clade, reference: null };
  const script = fileURLToPath(new URL('./reference_analyze.py', import.meta.url));
  const env = { ...process.env, MKL_NUM_THREADS: '2', ...refEnv };
  const faissCore = tuneFaissBlas(pys.faiss, env, log);
  const f = wall(pys.faiss, [script, 'faiss', dir], { ...env, ...faissCore }, dir);
  log(`(e) reference stage faiss ${f.seconds.toFixed(1)} s`);
  const s = wall(pys.sklearn, [script, 'sklearn', dir], env, dir);
  log(`(e) reference stage sklearn ${s.seconds.toFixed(1)} s`);
  const last = (o: string) => JSON.parse(o.trim().split('\n').pop()!);
  const fo = last(f.stdout);
  const so = last(s.stdout);
  const rm: Record<string, number> = {};
  for (const [k, v] of Object.entries({ ...fo, ...so })) if (typeof v === 'number') rm[k] = v;
  return {
    n,
    d: 512,
    clade,
    reference: {
      seconds: f.seconds + s.seconds,
      stages: { faiss: f.seconds, sklearn: s.seconds },
      faissCoretype: faissCore.OPENBLAS_CORETYPE ?? '',
      metrics: rm,
      lambda: so.probe_lambda,
    },
  };
}

/**
 * faiss wheels bundle their own OpenBLAS (0.3.15 in faiss-cpu 1.15), which need not know the core type the NumPy
 * baseline chose for Debian's OpenBLAS (bench/reference.ts: COOPERLAKE on this Xeon) and falls back to generic
 * kernels (measured: a 10,000 × 40,000 × 512 IndexFlatIP search 12.2 s generic, 4.4 s HASWELL, 2.6 s SKYLAKEX). So the
 * faiss stage gets the fastest of: the baseline's setting, SKYLAKEX, HASWELL, unset — timed on a 4,096 × 16,384 search.
 */
function tuneFaissBlas(
  py: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): { OPENBLAS_CORETYPE?: string } {
  const probe = [
    'import time, numpy as np, faiss',
    'r = np.random.default_rng(0); k = r.standard_normal((16384, 512), dtype=np.float32)',
    'q = r.standard_normal((4096, 512), dtype=np.float32); i = faiss.IndexFlatIP(512); i.add(k); i.search(q[:256], 10)',
    'ts = []',
    'for _ in range(3): t = time.perf_counter(); i.search(q, 10); ts.append(time.perf_counter() - t)',
    'print(min(ts))',
  ].join('\n');
  const candidates = [...new Set([env.OPENBLAS_CORETYPE ?? '', 'SKYLAKEX', 'HASWELL', ''])];
  const timed = candidates.map((core) => {
    const { OPENBLAS_CORETYPE: _, ...rest } = env;
    const e = core ? { ...rest, OPENBLAS_CORETYPE: core } : rest;
    const r = spawnSync(py, ['-c', probe], { encoding: 'utf8', env: e });
    return { core, seconds: r.status === 0 ? Number(r.stdout.trim()) : Infinity };
  });
  const best = timed.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  log(
    `(e) faiss OPENBLAS_CORETYPE: ${timed.map((t) => `${t.core || 'unset'} ${t.seconds.toFixed(3)} s`).join(', ')}; chosen ${best.core || 'unset'}`,
  );
  return best.core ? { OPENBLAS_CORETYPE: best.core } : {};
}

/** The metrics both sides report, with the tolerance they must agree to (absolute, or relative for CH). */
export const AGREEMENT: { clade: string; reference: string; tol: number; relative?: boolean }[] = [
  { clade: 'knn_top1', reference: 'knn_top1', tol: 0.005 },
  { clade: 'knn_top5', reference: 'knn_top5', tol: 0.005 },
  { clade: 'knn_majorityTop1', reference: 'knn_majority_top1', tol: 0.005 },
  { clade: 'probe_top1', reference: 'probe_top1', tol: 0.01 },
  { clade: 'calinskiHarabasz', reference: 'calinskiHarabasz', tol: 1e-4, relative: true },
  ...[1, 0.5, 0.2, 0.1].map((T) => ({ clade: `rld_T${T}`, reference: `rld_T${T}`, tol: 1e-4 })),
  ...[1, 10, 100, 500, 1000].map((p) => ({
    clade: `homogeneity_p${p}`,
    reference: `homogeneity_p${p}`,
    tol: 1e-3,
  })),
];

export function agreement(r: AnalyzeCaseResult): { ok: boolean; lines: string[] } {
  const lines: string[] = [];
  let ok = true;
  for (const a of AGREEMENT) {
    const c = r.clade.metrics[a.clade];
    const f = r.reference?.metrics[a.reference];
    if (c === undefined || f === undefined) continue;
    const diff = a.relative ? Math.abs(c - f) / Math.max(Math.abs(f), 1e-12) : Math.abs(c - f);
    const pass = diff <= a.tol;
    ok &&= pass;
    lines.push(
      `${a.clade} ${fmt(c)} vs ${fmt(f)} (${a.relative ? 'rel ' : ''}Δ ${diff.toExponential(1)} ${pass ? '≤' : '>'} ${a.tol})`,
    );
  }
  return { ok, lines };
}

const fmt = (v: number) => (Math.abs(v) < 0.01 ? v.toExponential(3) : v.toFixed(4));

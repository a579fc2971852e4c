/**
 * `npm run bench:analysis [-- --scale 0.2] [-- --json out.json] [-- --cases knn,rld,probe,approx] [-- --repeat 2]
 *  [-- --js] [-- --cases lance [--lance-n 1000000] [--lance-spread 1]] [-- --cases analyze [--analyze-n 50000] [--repeat R]]
 *  [-- --cases lance-analyze [--lance-analyze-n 50000] [--lance-analyze-args '--knn-k 20']]`
 *
 * Cases (issue 4): (a) exact self-kNN graph 50,000 × 512, k = 10, vs faiss IndexFlatIP; (b) RLD on 10,000 × 512 vs a
 * straightforward NumPy implementation of the formula; (c) linear probe 50,000 × 512, 100 classes, vs scikit-learn
 * LogisticRegression (lbfgs) at the same L2 strength; (d) error of the sparse top-k RLD approximation vs exact.
 * `--scale` shrinks n for (a) and (c). Python references run with 2 threads and OMP_WAIT_POLICY=PASSIVE when
 * `/usr/bin/python3` (or `python3`) has faiss / numpy / sklearn. `--repeat R` runs clade and the reference
 * alternately R times on the same data and reports the median of the paired ratios (the machine is shared);
 * `--js` adds rows for the same functions on the `js` backend (float64 TypeScript; slow at the issue sizes).
 * (f), opt-in (`--cases lance`; minutes at 1M rows): kNN at `--lance-n` (default 1,000,000) × 256 from a Lance
 * dataset through a LanceDB IVF-PQ index, recall@10 vs exact on 1,000 held-out queries, time vs faiss IVF at the
 * same recall (bench/analysis/lance-knn.ts).
 * (e), opt-in (`--cases analyze` or `--cases e`; about a minute of clade plus the reference at 50,000 rows):
 * `clade analyze --analyses knn,linear-probe,cluster` end to end on `--analyze-n` (default 50,000) × 512, 100 classes,
 * 80/20 split column, against the same analyses from faiss + NumPy + scikit-learn (reference_analyze.py); wall clock
 * of the processes; the metrics must agree (bench/analysis/analyze-e2e.ts).
 * (g), opt-in (`--cases lance-analyze` or `--cases g`; minutes: the run builds the index): `clade analyze DATA.lance
 * --ann` end to end on `--lance-analyze-n` (default 50,000) × 256, 1,000 classes — wall clock, peak RSS
 * (`/usr/bin/time -v`), the stages and the recall check the results record (bench/analysis/lance-analyze.ts).
 */
// First: forks the spawn helper while this process is small (bench/spawn.ts).
import { spawnJson } from '../spawn.ts';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../src/util/rng.ts';
import { writeFileAtomic } from '../../src/util/atomic-write.ts';
import { writeNpy, readNpy } from '../../src/io/npy.ts';
import { l2Normalize, type Embeddings } from '../../src/io/embeddings.ts';
import { similarityTopK } from '../../src/analysis/top-k.ts';
import { relativeLocalDensity } from '../../src/analysis/rld.ts';
import { linearScores, scoreAccuracy } from '../../src/analysis/softmax-regression.ts';
import { fitSoftmaxRegression } from '../../src/analysis/linear-probe.ts';
import { baselineJson, tuneBaseline, type RefConfig } from '../reference.ts';
import { mixture } from './mixture.ts';
import { lanceKnnCase } from './lance-knn.ts';
import { lanceAnalyzeCase } from './lance-analyze.ts';
import { agreement, analyzeCase } from './analyze-e2e.ts';
import { npyInt64 } from './npy-int64.ts';

interface Entry {
  case: string;
  clade: number;
  reference: number | null;
  ratio: number | null;
  unit: string;
  note?: string;
  /** The run's baseline check passed and a reference was timed (set on push). */
  valid?: boolean;
  /** The thread configuration the NumPy / faiss / scikit-learn reference ran under. */
  referenceConfig?: RefConfig;
}

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const scale = Number(opt('scale') ?? 1);
const cases = (opt('cases') ?? 'knn,rld,probe,approx').split(',');
const repeat = Math.max(1, Number(opt('repeat') ?? 1));
const withJs = args.includes('--js');
const here = dirname(fileURLToPath(import.meta.url));
const entries: Entry[] = [];

function findPython(modules: string[]): string | null {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', modules.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}

async function runRef(
  py: string | null,
  which: string,
  dir: string,
  script = 'reference.py',
): Promise<Record<string, unknown> | null> {
  if (!py) return null;
  return spawnJson(`reference ${which}`, py, [resolve(here, script), ...(which ? [which] : []), dir], {
    MKL_NUM_THREADS: '2',
    ...baseline.config.env,
  });
}

const timeAsync = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const r = await f();
  return [r, (performance.now() - t) / 1000];
};
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/**
 * Alternates clade and reference runs `repeat` times; returns the median clade and reference times and the
 * median of the paired ratios `clade / reference` (null without a reference).
 */
async function paired<T>(
  clade: () => Promise<T>,
  reference: (() => Promise<Record<string, unknown> | null>) | null,
): Promise<{
  result: T;
  ref: Record<string, unknown> | null;
  t: number;
  rs: number | null;
  ratio: number | null;
  runs: string;
}> {
  const ts: number[] = [];
  const rs: number[] = [];
  let result!: T;
  let ref: Record<string, unknown> | null = null;
  for (let r = 0; r < repeat; r++) {
    const [v, t] = await timeAsync(clade);
    result = v;
    ts.push(t);
    const o = (await reference?.()) ?? null;
    if (o) {
      ref = o;
      rs.push(o.seconds as number);
    }
  }
  const ratios = rs.length === ts.length ? ts.map((t, i) => t / rs[i]) : [];
  return {
    result,
    ref,
    t: median(ts),
    rs: rs.length ? median(rs) : null,
    ratio: ratios.length ? median(ratios) : null,
    runs: `runs clade ${ts.map((t) => t.toFixed(2)).join('/')} s, reference ${rs.map((t) => t.toFixed(2)).join('/') || 'n/a'} s`,
  };
}
// The references are NumPy / faiss / scikit-learn on NumPy's BLAS: checked with NumPy's own sgemm, the thread
// configuration with the fastest NumPy sgemm is the one every reference runs under.
const baseline = await tuneBaseline(findPython(['numpy']), { path: 'numpy', numpyOnly: true });
const push = (e: Entry) => {
  e.valid = baseline.valid && e.reference !== null;
  e.referenceConfig = baseline.config;
  entries.push(e);
  console.log(
    `${e.case.padEnd(44)} clade ${e.clade.toFixed(3).padStart(9)} ${e.unit.padEnd(6)} reference ${e.reference === null ? '      n/a' : e.reference.toFixed(3).padStart(9)}  ratio ${e.ratio === null ? 'n/a' : e.ratio.toFixed(2)}${e.valid || e.reference === null ? '' : ' (INVALID baseline)'}${e.note ? `  (${e.note})` : ''}`,
  );
};

const dir = mkdtempSync(join(tmpdir(), 'clade-bench-analysis-'));
try {
  if (cases.includes('knn')) {
    const n = Math.round(50000 * scale);
    const { x } = mixture(new Rng(1), n, 512, 100, 1.5);
    writeNpy(join(dir, 'x.npy'), x.data, [n, 512]);
    writeFileSync(join(dir, 'k.txt'), '10');
    const py = findPython(['faiss', 'numpy']);
    const p = await paired(() => similarityTopK(x, x, 10), py ? () => runRef(py, 'knn', dir) : null);
    const ort = p.result;
    let agree = NaN;
    if (p.ref) {
      const fi = readNpy(join(dir, 'faiss_idx.npy')).data as Int32Array;
      let same = 0;
      for (let i = 0; i < n; i++) {
        const s = new Set(fi.subarray(i * 10, i * 10 + 10));
        for (let r = 0; r < 10; r++) if (s.has(ort.index[i * 10 + r])) same++;
      }
      agree = same / (n * 10);
    }
    push({
      case: `(a) self-kNN ${n}x512 k=10 engine (ORT) vs faiss`,
      clade: p.t,
      reference: p.rs,
      ratio: p.ratio,
      unit: 's',
      note: `similarityTopK, backend 'ort' (src/analysis/top-k-ort.ts); neighbour-set agreement with faiss ${agree.toFixed(4)}; ${p.runs}; target ratio <= 1`,
    });
    if (withJs) {
      const [nn, t] = await timeAsync(() => similarityTopK(x, x, 10, { backend: 'js' }));
      let same = 0;
      for (let i = 0; i < n * 10; i++) if (ort.index[i] === nn.index[i]) same++;
      push({
        case: `(a) self-kNN ${n}x512 k=10 TypeScript vs faiss FlatIP`,
        clade: t,
        reference: p.rs,
        ratio: p.rs ? t / p.rs : null,
        unit: 's',
        note: `similarityTopK, backend 'js'; same ordered neighbours as the engine: ${(same / (n * 10)).toFixed(4)}`,
      });
    }
  }
  if (cases.includes('rld')) {
    const n = 10000;
    const { x, y } = mixture(new Rng(2), n, 512, 10, 2.5);
    writeNpy(join(dir, 'x.npy'), x.data, [n, 512]);
    writeFileSync(join(dir, 'y.npy'), Buffer.from(npyInt64(y)));
    const py = findPython(['numpy']);
    const p = await paired(
      () => relativeLocalDensity(x, y, { temperatures: [1, 0.5, 0.1] }),
      py ? () => runRef(py, 'rld', dir) : null,
    );
    const maxDiff = (v: number[]) =>
      p.ref ? Math.max(...(p.ref.rld as number[]).map((r, i) => Math.abs(r - v[i]))) : NaN;
    // Speed ratio as the issue states it: clade speed / NumPy speed = reference time / clade time (target >= 1).
    push({
      case: `(b) RLD ${n}x512 T=1/0.5/0.1 engine (ORT) vs NumPy`,
      clade: p.t,
      reference: p.rs,
      ratio: p.ratio ? 1 / p.ratio : null,
      unit: 's',
      note: `speed ratio (higher is better, target >= 1); relativeLocalDensity, backend 'ort' (src/analysis/rld-ort.ts); max |ΔRLD| ${maxDiff(p.result.rld).toExponential(2)}; RLD ${p.result.rld.map((v) => v.toFixed(5)).join(' / ')}; ${p.runs}`,
    });
    if (withJs) {
      const [r, t] = await timeAsync(() =>
        relativeLocalDensity(x, y, { temperatures: [1, 0.5, 0.1], backend: 'js' }),
      );
      push({
        case: `(b) RLD ${n}x512 T=1/0.5/0.1 TypeScript vs NumPy`,
        clade: t,
        reference: p.rs,
        ratio: p.rs ? p.rs / t : null,
        unit: 's',
        note: `speed ratio (higher is better); relativeLocalDensity, backend 'js' (src/analysis/rld-js.ts); max |ΔRLD| ${maxDiff(r.rld).toExponential(2)}`,
      });
    }
  }
  if (cases.includes('probe')) {
    const n = Math.round(50000 * scale);
    const nte = Math.round(10000 * scale);
    const { x, y } = mixture(new Rng(3), n + nte, 512, 100, 5);
    const tr = { data: x.data.subarray(0, n * 512), n, d: 512 };
    const te = { data: x.data.subarray(n * 512), n: nte, d: 512 };
    const ytr = y.subarray(0, n);
    const yte = y.subarray(n);
    const lambda = 1e-4;
    writeNpy(join(dir, 'xtr.npy'), Float32Array.from(tr.data), [n, 512]);
    writeNpy(join(dir, 'xte.npy'), Float32Array.from(te.data), [nte, 512]);
    writeFileSync(join(dir, 'ytr.npy'), Buffer.from(npyInt64(ytr)));
    writeFileSync(join(dir, 'yte.npy'), Buffer.from(npyInt64(yte)));
    writeFileSync(join(dir, 'lambda.txt'), String(lambda));
    const py = findPython(['sklearn', 'numpy']);
    // scikit-learn 1.2's lbfgs minimises the *summed* loss + ||W||²/(2C) with gtol = tol = 1e-4 and SciPy's default
    // ftol 2.2e-9; clade's objective is the mean, so the same stopping rule is tol = 1e-4 / n, ftol = 2.2e-9.
    const fitOpts = { maxIter: 200, tol: 1e-4 / n, ftol: 2.2e-9 };
    const p = await paired(
      () => fitSoftmaxRegression(tr, ytr, 100, lambda, fitOpts),
      py ? () => runRef(py, 'probe', dir) : null,
    );
    const acc = scoreAccuracy(linearScores(p.result.theta, te, 100), 100, yte).top1;
    const refAcc = p.ref ? (p.ref.top1 as number) : NaN;
    push({
      case: `(c) linear probe ${n}x512, 100 classes engine (ORT) vs sklearn lbfgs`,
      clade: p.t,
      reference: p.rs,
      ratio: p.ratio,
      unit: 's',
      note: `fitSoftmaxRegression (objective on ORT); top-1 clade ${acc.toFixed(4)} vs sklearn ${refAcc.toFixed(4)} (Δ ${(100 * (acc - refAcc)).toFixed(2)} points); ${p.result.iterations} L-BFGS iterations, ${p.result.evaluations} evaluations; sklearn ${p.ref?.iterations ?? 'n/a'} iterations; ${p.runs}; target ratio <= 1`,
    });
    if (withJs) {
      const [fit, t] = await timeAsync(() =>
        fitSoftmaxRegression(tr, ytr, 100, lambda, { ...fitOpts, backend: 'js' }),
      );
      const a = scoreAccuracy(linearScores(fit.theta, te, 100), 100, yte).top1;
      push({
        case: `(c) linear probe ${n}x512, 100 classes TypeScript vs sklearn`,
        clade: t,
        reference: p.rs,
        ratio: p.rs ? t / p.rs : null,
        unit: 's',
        note: `backend 'js' (float64 objective, gemmNT); top-1 ${a.toFixed(4)}; ${fit.iterations} L-BFGS iterations`,
      });
    }
  }
  if (cases.includes('approx')) {
    const n = Math.round(10000 * Math.min(1, scale * 2));
    const { x, y } = mixture(new Rng(4), n, 256, 10, 2.5);
    const temperatures = [1, 0.5, 0.1, 0.05];
    const [exact, te] = await timeAsync(() => relativeLocalDensity(x, y, { temperatures }));
    for (const [k, samples] of [
      [50, 0],
      [50, 256],
      [200, 256],
    ]) {
      const [a, ta] = await timeAsync(() =>
        relativeLocalDensity(x, y, { temperatures, approximate: { k, samples } }),
      );
      a.rld.forEach((v, i) =>
        push({
          case: `(d) RLD approx k=${k} samples=${samples} ${n}x256 T=${a.temperatures[i]}`,
          clade: Math.abs(v - exact.rld[i]),
          reference: null,
          ratio: null,
          unit: 'abs',
          note: `exact ${exact.rld[i].toFixed(4)}, approx ${v.toFixed(4)}; ${ta.toFixed(1)} s vs exact ${te.toFixed(1)} s`,
        }),
      );
    }
  }
  if (cases.includes('analyze') || cases.includes('e')) {
    const n = Number(opt('analyze-n') ?? 50000);
    // --repeat R: R pairs (clade then the reference, same data), so a load change hits both sides of a pair
    const pairs: Awaited<ReturnType<typeof analyzeCase>>[] = [];
    for (let i = 0; i < repeat; i++)
      pairs.push(
        await analyzeCase(
          join(dir, 'analyze'),
          n,
          { faiss: findPython(['faiss', 'numpy']), sklearn: findPython(['sklearn', 'numpy']) },
          baseline.config.env,
          (l) => console.error(l),
        ),
      );
    const r = pairs[pairs.length - 1];
    const a = agreement(r);
    for (const l of a.lines) console.error(`(e) ${l}`);
    const paired = pairs.every((p) => p.reference);
    const speed = paired ? pairs.map((p) => p.reference!.seconds / p.clade.seconds) : [];
    const runs = `runs clade ${pairs.map((p) => p.clade.seconds.toFixed(1)).join('/')} s, reference ${pairs.map((p) => p.reference?.seconds.toFixed(1) ?? 'n/a').join('/')} s`;
    // speed ratio as the issue states it: reference time / clade time (target >= 1); median of the pairs
    push({
      case: `(e) clade analyze knn,linear-probe,cluster ${n}x512 vs faiss+NumPy+sklearn`,
      clade: median(pairs.map((p) => p.clade.seconds)),
      reference: paired ? median(pairs.map((p) => p.reference!.seconds)) : null,
      ratio: paired ? median(speed) : null,
      unit: 's',
      note: `speed ratio (higher is better, target >= 1), median of ${pairs.length} paired run(s): ${runs}; wall clock of the processes; last pair: reference faiss stage ${r.reference?.stages.faiss.toFixed(1) ?? 'n/a'} s (OPENBLAS_CORETYPE ${r.reference?.faissCoretype || 'unset'}) + sklearn/NumPy stage ${r.reference?.stages.sklearn.toFixed(1) ?? 'n/a'} s; probe λ clade ${r.clade.lambda} vs sklearn ${r.reference?.lambda ?? 'n/a'}; metrics ${r.reference ? (a.ok ? 'agree' : 'DISAGREE') : 'n/a'}: ${a.lines.join('; ')}`,
    });
  }
  if (cases.includes('lance')) {
    const n = Number(opt('lance-n') ?? 1_000_000);
    const py = findPython(['faiss', 'numpy']);
    const r = await lanceKnnCase(dir, n, py ? (d) => runRef(py, '', d, 'reference_ivf.py') : null, {
      spread: Number(opt('lance-spread') ?? 1),
      log: (l) => console.error(l),
    });
    for (const s of r.settings) {
      // the fastest faiss IVF setting that reaches LanceDB's recall (null: none does)
      const ref = r.faiss?.sweep.filter((f) => f.recall >= s.recall).sort((a, b) => a.seconds - b.seconds)[0];
      push({
        case: `(f) LanceDB IVF-PQ kNN ${n}x256 k=10, 1000 queries, nprobes ${s.nprobes} refine ${s.refineFactor}`,
        clade: s.seconds,
        reference: ref?.seconds ?? null,
        ratio: ref ? s.seconds / ref.seconds : null,
        unit: 's',
        note: `recall@10 vs exact ${s.recall.toFixed(4)}; faiss IndexIVFFlat ${ref ? `nprobe ${ref.nprobe} recall ${ref.recall.toFixed(4)}` : r.faiss ? 'reaches no such recall' : 'n/a'}; CPU s LanceDB ${s.cpu.toFixed(2)} vs faiss ${ref?.cpu.toFixed(2) ?? 'n/a'}; index build LanceDB ${r.build.toFixed(1)} s (CPU ${r.buildCpu.toFixed(1)}) vs faiss ${r.faiss?.build.toFixed(1) ?? 'n/a'} s (CPU ${r.faiss?.buildCpu.toFixed(1) ?? 'n/a'}); Lance write ${r.write.toFixed(1)} s; exact top-10 (ORT) ${r.exact.toFixed(1)} s`,
      });
    }
    if (r.faiss)
      console.error(
        `(f) faiss sweep: ${r.faiss.sweep.map((f) => `nprobe ${f.nprobe} ${f.seconds.toFixed(3)} s (CPU ${f.cpu.toFixed(3)}) recall ${f.recall.toFixed(4)}`).join('; ')}`,
      );
  }
  if (cases.includes('lance-analyze') || cases.includes('g')) {
    const n = Number(opt('lance-analyze-n') ?? 50_000);
    // --lance-analyze-args '--knn-k 20 --rld-k 20': more clade analyze options, space-separated
    const extra = (opt('lance-analyze-args') ?? '').split(' ').filter(Boolean);
    const r = await lanceAnalyzeCase(join(dir, 'lance-analyze'), n, { extra, log: (l) => console.error(l) });
    const check = r.ann.check as { recallAt: Record<string, number>; trainRecallAt?: Record<string, number> };
    const f = (v: number | undefined, p = 4) => (v === undefined ? 'n/a' : v.toFixed(p));
    push({
      case: `(g) clade analyze DATA.lance --ann ${n}x${r.d}, knn + cluster${extra.length ? ` ${extra.join(' ')}` : ''}`,
      clade: r.seconds,
      reference: null,
      ratio: null,
      unit: 's',
      note: `wall clock of the process incl. index build ${f(r.timings.index, 1)} s, finite scan ${f(r.timings.finiteScan, 1)} s, search pass ${f(r.timings.search, 1)} s, RLD ${f(r.timings.rld, 1)} s, recall check ${f(r.timings.check, 1)} s; peak RSS ${r.peakRssMiB?.toFixed(0) ?? 'n/a'} MiB; recall@k (all rows) ${Object.entries(
        check?.recallAt ?? {},
      )
        .map(([k, v]) => `@${k} ${f(v)}`)
        .join(', ')}; train recall ${Object.entries(check?.trainRecallAt ?? {})
        .map(([k, v]) => `@${k} ${f(v)}`)
        .join(
          ', ',
        )}; kNN top-1 ${f(r.metrics.knn_top1)}, RLD T=1/0.1 ${f(r.metrics.rld_T1)}/${f(r.metrics['rld_T0.1'])}, homogeneity p=10 ${f(r.metrics.homogeneity_p10)}; short queries ${r.ann.shortQueries}; Lance write ${r.write.toFixed(1)} s`,
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const jsonPath = opt('json');
if (jsonPath)
  writeFileAtomic(
    resolve(process.cwd(), jsonPath),
    JSON.stringify(
      { date: new Date().toISOString(), baseline: baselineJson(baseline), cases: entries },
      null,
      2,
    ) + '\n',
  );

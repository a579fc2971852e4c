/**
 * Tuned-baseline check shared by every benchmark with a PyTorch or NumPy side (issue 15).
 *
 * `tuneBaseline` measures ORT's 2048³ sgemm and an elementwise add beside the reference's own (bench/reference_check.py
 * under each thread configuration), picks the configuration the reference runs under, and says whether the reference
 * is tuned: its sgemm on the path the reference model uses must reach 70 % of ORT's, otherwise every ratio the bench
 * prints is marked `valid: false`. `pickFastest` lets a bench time each case under every configuration and keep the
 * fastest. `machineIdentity` (lscpu) goes into every JSON.
 *
 * Configurations: OMP wait policy PASSIVE / ACTIVE, OpenBLAS threads 2 / 1, torch threads 2 / 1. Debian's OpenBLAS
 * 0.3.21 does not recognise newer Xeons (family 6 model 207 falls back to its generic "Prescott" kernels, a third of
 * the speed), so when the detected core is generic on an AVX2/AVX-512 CPU every configuration also sets
 * OPENBLAS_CORETYPE from the ISA flags — what a user who checked `openblas_get_config()` would do.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineGraph } from '../src/engine/graph.ts';
import { compile } from '../src/engine/runtime/ort.ts';
import { input } from '../src/engine/tensor.ts';
import { Rng } from '../src/util/rng.ts';
import { median } from './common.ts';
import { spawnJson } from './spawn.ts';

/** ISA flags worth recording (lscpu's full list is long). */
const ISA = /^(sse4_2|avx|avx2|fma|f16c|avx512\w*|avx_vnni|amx\w*)$/;

export interface Machine {
  cpu: string;
  vendor: string;
  family: string;
  model: string;
  cores: number;
  isa: string[];
  node: string;
  onnxruntime: string;
  loadavg: number[];
}

export function machineIdentity(): Machine {
  const r = spawnSync('lscpu', [], { encoding: 'utf8' });
  const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(r.stdout ?? '')?.[1]?.trim() ?? '';
  let ortVersion = '';
  try {
    const pkg = fileURLToPath(import.meta.resolve('onnxruntime-node/package.json'));
    ortVersion = JSON.parse(readFileSync(pkg, 'utf8')).version;
  } catch {
    /* version unknown */
  }
  return {
    cpu: field('Model name'),
    vendor: field('Vendor ID'),
    family: field('CPU family'),
    model: field('Model'),
    cores: availableParallelism(),
    isa: field('Flags')
      .split(/\s+/)
      .filter((f) => ISA.test(f)),
    node: process.version,
    onnxruntime: ortVersion,
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** One way of running the reference: environment variables plus torch.set_num_threads (CLADE_TORCH_THREADS). */
export interface RefConfig {
  name: string;
  env: Record<string, string>;
}

/** OpenBLAS core type for this CPU's ISA (used only when OpenBLAS's own detection fell back to a generic core). */
function openblasCoreFor(m: Machine): string | null {
  if (m.vendor === 'AuthenticAMD') return m.isa.includes('avx512f') ? 'SKYLAKEX' : 'ZEN';
  if (m.isa.includes('avx512_bf16')) return 'COOPERLAKE';
  if (m.isa.includes('avx512f')) return 'SKYLAKEX';
  if (m.isa.includes('avx2')) return 'HASWELL';
  return null;
}

export function referenceConfigs(threads: number, extra: Record<string, string> = {}): RefConfig[] {
  const c = (name: string, wait: string, blas: number, torch: number): RefConfig => ({
    name,
    env: {
      ...extra,
      OMP_WAIT_POLICY: wait,
      OMP_NUM_THREADS: String(torch),
      OPENBLAS_NUM_THREADS: String(blas),
      CLADE_TORCH_THREADS: String(torch),
    },
  });
  const one = Math.max(1, threads >> 1);
  return [
    c(`passive/torch${threads}/blas${threads}`, 'PASSIVE', threads, threads),
    c(`passive/torch${threads}/blas1`, 'PASSIVE', 1, threads),
    c(`active/torch${threads}/blas${threads}`, 'ACTIVE', threads, threads),
    c(`passive/torch${one}/blas${threads}`, 'PASSIVE', threads, one),
  ];
}

export interface Throughput {
  /** 2048³ sgemm, GFLOP/s, per path (ORT: `ort`; the reference: `blas`, `onednn`, `numpy`). */
  sgemm: Record<string, number | null>;
  /** c = a + b over 16 M floats, GB/s (12 bytes per element). */
  elementwise: number | null;
  blasCore?: string | null;
}

/** ORT's 2048³ matmul and a 16 M-float Add with the engine's session options. */
export async function ortThroughput(): Promise<Throughput> {
  const time = async (run: () => Promise<unknown>) => {
    await run();
    const ts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await run();
      ts.push(performance.now() - t0);
    }
    return median(ts) / 1000;
  };
  const n = 2048;
  const r = new Rng(1);
  const a = input('a', [n, n]);
  const b = input('b', [n, n]);
  const mm = await compile(defineGraph([a, b], { c: a.matmul(b) }));
  const feeds = { a: r.normalArray(n * n), b: r.normalArray(n * n) };
  const out = { c: new Float32Array(n * n) };
  const gemmS = await time(() => mm.run(feeds, out));
  const e = 1 << 24;
  const x = input('x', [e]);
  const y = input('y', [e]);
  const add = await compile(defineGraph([x, y], { z: x.add(y) }));
  const ef = { x: r.normalArray(e), y: r.normalArray(e) };
  const eo = { z: new Float32Array(e) };
  const addS = await time(() => add.run(ef, eo));
  return { sgemm: { ort: (2 * n ** 3) / gemmS / 1e9 }, elementwise: (12 * e) / addS / 1e9 };
}

const checkScript = fileURLToPath(new URL('./reference_check.py', import.meta.url));

export async function referenceThroughput(
  python: string,
  cfg: RefConfig,
  numpyOnly = false,
): Promise<Throughput | null> {
  const j = await spawnJson<{ sgemm: Throughput['sgemm']; elementwise: number; blas: string }>(
    `reference check (${cfg.name})`,
    python,
    [checkScript, cfg.env.CLADE_TORCH_THREADS ?? '2', ...(numpyOnly ? ['--numpy'] : [])],
    cfg.env,
  );
  return j && { sgemm: j.sgemm, elementwise: j.elementwise, blasCore: j.blas };
}

/** Which of the reference's GEMM paths its model uses: PyTorch's BLAS (nn.Linear), oneDNN, or NumPy's BLAS. */
export type GemmPath = 'blas' | 'onednn' | 'numpy';

export interface Baseline {
  machine: Machine;
  ort: Throughput;
  /** The reference under the chosen configuration. */
  reference: Throughput | null;
  config: RefConfig;
  /** Every configuration tried by the check, with its score (sgemm on `path`, or elementwise GB/s). */
  tried: { name: string; score: number | null }[];
  path: GemmPath;
  /** Reference sgemm on `path` ÷ ORT sgemm. */
  sgemmRatio: number | null;
  valid: boolean;
  reason: string;
  /** Configurations a bench may time its cases under (`pickFastest`); all carry the OpenBLAS core fix if needed. */
  configs: RefConfig[];
}

export interface TuneOptions {
  threads?: number;
  path?: GemmPath;
  /** false when the reference does no GEMMs (torchvision data loading): validity then does not depend on sgemm. */
  gemmBound?: boolean;
  numpyOnly?: boolean;
}

/**
 * Measure ORT and the reference, choose the reference's configuration and decide validity; prints a short report.
 * With no python, returns ORT's figures and `valid: false` (there is no reference).
 */
export async function tuneBaseline(python: string | null, opts: TuneOptions = {}): Promise<Baseline> {
  const threads = opts.threads ?? 2;
  const path = opts.path ?? 'blas';
  const gemmBound = opts.gemmBound ?? true;
  const machine = machineIdentity();
  const ortBefore = await ortThroughput();
  let configs = referenceConfigs(threads);
  const tried: Baseline['tried'] = [];
  let best: { cfg: RefConfig; t: Throughput; score: number } | null = null;
  const score = (t: Throughput | null) => (t ? ((gemmBound ? t.sgemm[path] : t.elementwise) ?? null) : null);
  const rate = (t: Throughput | null) => score(t) ?? 0;
  if (python) {
    const probe = await referenceThroughput(python, configs[0], opts.numpyOnly);
    // configs[0]'s figure under the configurations chosen so far (re-used by the allocator check below).
    let current = probe;
    const core = probe?.blasCore ?? '';
    const fix = openblasCoreFor(machine);
    if (/Prescott|Core2|Generic|Katmai|Nehalem/i.test(core) && fix) {
      console.log(`OpenBLAS detected "${core}" on ${machine.cpu}: forcing OPENBLAS_CORETYPE=${fix}`);
      configs = referenceConfigs(threads, { OPENBLAS_CORETYPE: fix });
      current = null;
    } else if (fix && core && core.toUpperCase() !== fix && machine.isa.includes('avx512f')) {
      // An AVX-512 CPU newer than the OpenBLAS build (e.g. Zen 5 under OpenBLAS 0.3.21) is detected as an AVX2
      // core: try the AVX-512 kernels too and keep whichever is faster.
      const fixed = referenceConfigs(threads, { OPENBLAS_CORETYPE: fix });
      const forced = await referenceThroughput(python, fixed[0], opts.numpyOnly);
      const faster = rate(forced) > rate(probe);
      console.log(
        `OpenBLAS detected "${core}" on an AVX-512 ${machine.cpu}: OPENBLAS_CORETYPE=${fix} ${rate(forced).toFixed(1)} vs detected ${rate(probe).toFixed(1)}; using ${faster ? fix : core}`,
      );
      if (faster) [configs, current] = [fixed, forced];
    }
    // PyTorch's CPU allocator hands large tensors back to the OS, so each step re-faults them; where page faults
    // are dear (11 µs each on the AMD EPYC VM: a fresh 2048² matmul output halves its GFLOP/s) PyTorch's own CPU
    // tuning guide preloads jemalloc. Try it (decay off, so freed pages are kept) and keep it if it is faster.
    const jemalloc = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
    if (existsSync(jemalloc) && !opts.numpyOnly) {
      const env = { LD_PRELOAD: jemalloc, MALLOC_CONF: 'dirty_decay_ms:-1,muzzy_decay_ms:-1' };
      const plain = rate(current ?? (await referenceThroughput(python, configs[0])));
      const withJe = rate(
        await referenceThroughput(python, { name: configs[0].name, env: { ...configs[0].env, ...env } }),
      );
      console.log(
        `PyTorch allocator: jemalloc ${withJe.toFixed(1)} vs glibc ${plain.toFixed(1)}; using ${withJe > plain ? 'jemalloc' : 'glibc'}`,
      );
      if (withJe > plain)
        configs = configs.map((c) => ({ name: `${c.name}/jemalloc`, env: { ...c.env, ...env } }));
    }
    for (const cfg of configs) {
      const t = await referenceThroughput(python, cfg, opts.numpyOnly);
      const sc = score(t);
      tried.push({ name: cfg.name, score: sc });
      if (t && sc !== null && (!best || sc > best.score)) best = { cfg, t, score: sc };
    }
  }
  // ORT measured before and after the reference's configurations, best of the two (the reference also gets its best).
  const ortAfter = python ? await ortThroughput() : ortBefore;
  const ort: Throughput = {
    sgemm: { ort: Math.max(ortBefore.sgemm.ort!, ortAfter.sgemm.ort!) },
    elementwise: Math.max(ortBefore.elementwise!, ortAfter.elementwise!),
  };
  const ref = best?.t ?? null;
  const refGemm = ref?.sgemm[path] ?? null;
  const ortGemm = ort.sgemm.ort!;
  const sgemmRatio = refGemm !== null ? refGemm / ortGemm : null;
  let valid = ref !== null;
  let reason = ref ? 'reference tuned' : 'no reference';
  if (ref && gemmBound && sgemmRatio! < 0.7) {
    valid = false;
    reason = `reference sgemm (${path}) ${refGemm!.toFixed(0)} GFLOP/s is ${(100 * sgemmRatio!).toFixed(0)} % of ORT's ${ortGemm.toFixed(0)}: baseline mis-configured`;
  }
  const b: Baseline = {
    machine,
    ort,
    reference: ref,
    config: best?.cfg ?? configs[0],
    tried,
    path,
    sgemmRatio,
    valid,
    reason,
    configs,
  };
  printBaseline(b);
  return b;
}

const f1 = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(1));

export function printBaseline(b: Baseline) {
  const m = b.machine;
  console.log(
    `CPU: ${m.cpu} (${m.vendor} family ${m.family} model ${m.model}, ${m.cores} cores; ${m.isa.join(' ')}); load ${m.loadavg.join(' ')}`,
  );
  const r = b.reference;
  console.log(
    `2048³ sgemm GFLOP/s: ORT ${f1(b.ort.sgemm.ort)}` +
      (r
        ? `; reference BLAS ${f1(r.sgemm.blas)}, oneDNN ${f1(r.sgemm.onednn)}, NumPy ${f1(r.sgemm.numpy)} (model uses ${b.path}; ${r.blasCore ?? 'BLAS unknown'})`
        : ''),
  );
  console.log(
    `elementwise add GB/s: ORT ${f1(b.ort.elementwise)}${r ? `; reference ${f1(r.elementwise)}` : ''}`,
  );
  if (b.tried.length)
    console.log(
      `reference configurations (score): ${b.tried.map((t) => `${t.name} ${f1(t.score)}`).join(', ')}; chosen ${b.config.name}`,
    );
  console.log(
    b.valid ? `baseline: ${b.reason}` : `BASELINE INVALID: ${b.reason}; ratios marked "valid": false`,
  );
}

/**
 * Run `rate(cfg)` (higher is better) under every configuration and keep the fastest; for benches that time each
 * case under each configuration before the interleaved rounds.
 */
export async function pickFastest(
  configs: RefConfig[],
  rate: (cfg: RefConfig) => Promise<number | null>,
): Promise<{ config: RefConfig; rates: Record<string, number | null> } | null> {
  const rates: Record<string, number | null> = {};
  let best: { cfg: RefConfig; r: number } | null = null;
  for (const cfg of configs) {
    const r = await rate(cfg);
    rates[cfg.name] = r;
    if (r !== null && (!best || r > best.r)) best = { cfg, r };
  }
  return best ? { config: best.cfg, rates } : null;
}

/** What every bench JSON carries about the run's baseline (the full `configs` list is left out). */
export function baselineJson(b: Baseline) {
  const { configs: _configs, ...rest } = b;
  return rest;
}

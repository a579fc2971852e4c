/**
 * Probe: the input gradient of a stride-2, 3×3, pad-1 convolution three ways, interleaved wall-clock medians of
 * whole runs (dX reduced against a fixed random tensor to one number, so the fetch is the same for all):
 * `convT` (ConvTranspose, the engine's form before 2026-12-07), `phase4` (the engine's form since: four exact-tap
 * stride-1 convs on ORT's NCHWc kernels, one per output phase, then the interleave as concat + permutation GEMM +
 * concat), `phase1` (one NCHWc conv with 4C
 * outputs and 2×2 taps, 16 for 9, then transpose + permutation GEMM + transpose).
 * `node bin/run-ts.mjs bench/engine/dx-probe.ts [N C O Ho] [seconds]` (default layer 2 of the CNN: 128 32 64 16).
 */
import { defineGraph } from '../../src/engine/graph.ts';
import { concat } from '../../src/engine/functional/index.ts';
import { convInputGrad } from '../../src/engine/autodiff/conv-grad.ts';
import { compile } from '../../src/engine/runtime/ort.ts';
import { constant, input, prim, type Tensor } from '../../src/engine/tensor.ts';
import { Rng } from '../../src/util/rng.ts';
import { median } from '../common.ts';

const [N, C, O, J] = (
  process.argv.slice(2, 6).length === 4 ? process.argv.slice(2, 6) : [128, 32, 64, 16]
).map(Number);
const secs = Number(process.argv[6] ?? 20);
const L = J;
const H = 2 * J;
const g = input('g', [N, O, J, L]);
const w = input('w', [O, C, 3, 3]);
const r = input('r', [N, C, H, H]);

/** Kernel [C, O, th, tw] of the conv over g whose taps are `taps[th][tw]` = (kh, kw) of w, or null for a zero tap. */
function subKernel(w: Tensor, taps: ([number, number] | null)[][]): Tensor {
  const th = taps.length;
  const tw = taps[0].length;
  const sel = new Float32Array(9 * th * tw);
  taps.forEach((row, i) =>
    row.forEach((t, j) => {
      if (t) sel[(t[0] * 3 + t[1]) * th * tw + i * tw + j] = 1;
    }),
  );
  return w
    .transpose([1, 0, 2, 3])
    .reshape([C * O, 9])
    .matmul(constant(sel, [9, th * tw]))
    .reshape([C, O, th, tw]);
}
const conv = (x: Tensor, k: Tensor, pads: [number, number, number, number]) =>
  prim('conv2d', [x, k], { strides: [1, 1], pads, group: 1 });

function convT(): Tensor {
  // What the engine emitted before (and still does with CLADE_CONV_DX=transpose).
  return prim('convTranspose2d', [g, w], {
    strides: [2, 2],
    pads: [1, 1, 1, 1],
    group: 1,
    outputPadding: [1, 1],
  });
}

/** The engine's rule (src/engine/autodiff/conv-grad.ts): four exact-tap phase convs, then the interleave. */
function phase4(): Tensor {
  const x = input('x', [N, C, H, H]); // only its shape is read
  return convInputGrad(g, x, w, { strides: [2, 2], pads: [1, 1, 1, 1], group: 1 });
}

function phase1(): Tensor {
  // Output channels ordered (a, b, c); 2×2 taps with zeros where a phase reads one row or column.
  const ks = [];
  for (let a = 0; a < 2; a++)
    for (let b = 0; b < 2; b++) {
      const t = (x: number, i: number) => (x === 0 ? (i === 0 ? 1 : null) : i === 0 ? 2 : 0);
      ks.push(
        subKernel(
          w,
          [0, 1].map((i) =>
            [0, 1].map((j) => {
              const kh = t(a, i);
              const kw = t(b, j);
              return kh === null || kw === null ? null : ([kh, kw] as [number, number]);
            }),
          ),
        ),
      );
    }
  const y = conv(g, concat(ks, 0), [0, 0, 1, 1]); // [N, 4C, J, L] = [N, a, b, C, J, L]
  const perm = new Float32Array(2 * L * 2 * L);
  for (let b = 0; b < 2; b++) for (let l = 0; l < L; l++) perm[(b * L + l) * 2 * L + 2 * l + b] = 1;
  return y
    .reshape([N, 2, 2, C, J, L])
    .transpose([0, 3, 1, 4, 2, 5]) // [N, C, a, J, b, L]
    .reshape([N * C * 2 * J, 2 * L])
    .matmul(constant(perm, [2 * L, 2 * L]))
    .reshape([N, C, 2, J, 2 * L])
    .transpose([0, 1, 3, 2, 4])
    .reshape([N, C, H, H]);
}

const variants = { convT, phase4, phase1 };
const rng = new Rng(3);
const feeds = {
  g: rng.normalArray(N * O * J * L),
  w: rng.normalArray(O * C * 9),
  r: rng.normalArray(N * C * H * H),
};
const runs = await Promise.all(
  Object.entries(variants).map(async ([k, f]) => {
    const dx = f();
    const check = await compile(defineGraph([g, w], { dx }));
    const timed = await compile(defineGraph([g, w, r], { s: dx.mul(r).sum().reshape([1]) }));
    return { k, check, timed };
  }),
);
const ref = (await runs[0].check.run({ g: feeds.g, w: feeds.w })).dx as Float32Array;
for (const v of runs) {
  const dx = (await v.check.run({ g: feeds.g, w: feeds.w })).dx as Float32Array;
  let err = 0;
  for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(dx[i] - ref[i]));
  console.log(`${v.k}: max |dX − ConvTranspose| ${err.toExponential(2)}`);
}
const t: Record<string, number[]> = Object.fromEntries(runs.map((v) => [v.k, []]));
for (const v of runs) for (let i = 0; i < 3; i++) await v.timed.run(feeds);
const t0 = performance.now();
while (performance.now() - t0 < secs * 1000)
  for (const v of runs) {
    const s0 = performance.now();
    await v.timed.run(feeds);
    t[v.k].push(performance.now() - s0);
  }
for (const v of runs) console.log(`${v.k.padEnd(7)} ${median(t[v.k]).toFixed(2)} ms (${t[v.k].length} runs)`);

// PROFILE=1: per-node kernel medians of each variant from ORT's profiler.
if (process.env.PROFILE) {
  const ort = await import('onnxruntime-node');
  const { kernelTimes } = await import('./kernel-times.ts');
  const f = Object.fromEntries(
    Object.entries(feeds).map(([k, d]) => [
      k,
      new ort.Tensor('float32', d, k === 'g' ? [N, O, J, L] : k === 'w' ? [O, C, 3, 3] : [N, C, H, H]),
    ]),
  );
  for (const v of runs) {
    const rows = (await kernelTimes(v.timed.modelBytes, f, 15)).filter((r) => r.ms > 0.05);
    console.log(
      v.k,
      rows.reduce((a, r) => a + r.ms, 0).toFixed(2),
      'ms:',
      rows.map((r) => `${r.op}:${r.node} ${r.ms.toFixed(2)}`).join(', '),
    );
  }
}

import type { ConvAttrs } from '../ir/ops.ts';
import { concat } from '../functional/index.ts';
import { GraphError, constant, prim, type Tensor } from '../tensor.ts';

/**
 * dL/dx of conv2d: a ConvTranspose of the output cotangent with the forward weights, strides and pads, plus
 * the output padding that restores the input's spatial size when the stride did not divide it.
 */
export function convInputGrad(g: Tensor /* [N,O,Ho,Wo] */, x: Tensor, w: Tensor, at: ConvAttrs): Tensor {
  const [, , h, wd] = x.shape;
  const [o, c, kh, kw] = w.shape;
  // Stride 1: the adjoint is a plain convolution with the spatially flipped, channel-transposed kernel, which
  // ORT runs about 2x faster than ConvTranspose (measured: 81 vs 155 ms for 64→64 channels at 32×32, batch 64).
  const p = at.pads;
  if (
    at.strides[0] === 1 &&
    at.strides[1] === 1 &&
    at.group === 1 &&
    p[0] < kh &&
    p[1] < kw &&
    p[2] < kh &&
    p[3] < kw
  ) {
    const taps = kh * kw;
    const flip = new Float32Array(taps * taps);
    for (let i = 0; i < taps; i++) flip[i * taps + (taps - 1 - i)] = 1;
    const wf = w
      .transpose([1, 0, 2, 3])
      .reshape([c * o, taps])
      .matmul(constant(flip, [taps, taps]))
      .reshape([c, o, kh, kw]);
    return prim('conv2d', [g, wf], {
      strides: [1, 1],
      pads: [kh - 1 - p[0], kw - 1 - p[1], kh - 1 - p[2], kw - 1 - p[3]],
      group: 1,
    });
  }
  const phased = polyphaseInputGrad(g, x, w, at);
  if (phased) return phased;
  const [, , ho, wo] = g.shape;
  const [s0, s1] = at.strides;
  const outputPadding: [number, number] = [
    h - ((ho - 1) * s0 - at.pads[0] - at.pads[2] + kh),
    wd - ((wo - 1) * s1 - at.pads[1] - at.pads[3] + kw),
  ];
  return prim('convTranspose2d', [g, w], { ...at, outputPadding });
}

/**
 * dL/dw of conv2d. ORT's CPU build has no ConvGrad kernel and the transposed-role formulation runs as a skinny
 * GEMM, so the engine guide's fastest form is used: a depthwise conv with a constant one-hot kernel gathers
 * every kernel tap (im2col, [N, C·kh·kw, Ho·Wo]) and one batched matmul against the cotangent, summed over N,
 * gives the weight gradient.
 */
export function convWeightGrad(g: Tensor /* [N,O,Ho,Wo] */, x: Tensor, w: Tensor, at: ConvAttrs): Tensor {
  if (at.group !== 1)
    throw new GraphError(`conv2d weight gradient supports group = 1, got group ${at.group}`);
  const [n, c] = x.shape;
  const [o, , kh, kw] = w.shape;
  const [, , ho, wo] = g.shape;
  const taps = kh * kw;
  const onehot = new Float32Array(c * taps * taps);
  for (let ch = 0; ch < c; ch++) for (let t = 0; t < taps; t++) onehot[(ch * taps + t) * taps + t] = 1;
  const kernel = constant(onehot, [c * taps, 1, kh, kw]);
  const cols = prim('conv2d', [x.stopGradient(), kernel], { strides: at.strides, pads: at.pads, group: c });
  const gy = g.reshape([n, o, ho * wo]);
  const colsFlat = cols.reshape([n, c * taps, ho * wo]);
  return gy.matmul(colsFlat, { transB: true }).sum(0).reshape(w.shape);
}

/** One spatial axis of a stride-2 convolution split by output phase: the kernel taps each phase reads, in order. */
interface AxisPhase {
  /** Forward-kernel index of each tap of the phase's stride-1 kernel (first = smallest offset into g). */
  readonly taps: readonly number[];
  /** Padding of g before and after along this axis. */
  readonly pads: readonly [number, number];
}

/**
 * Phases a = 0, 1 of one axis: input position 2i + a receives the taps k ≡ a + pad (mod 2), tap k reading
 * g[i + (a + pad − k)/2]. Null when a phase has no tap or would need g cropped (negative padding).
 */
function axisPhases(k: number, pad: number): [AxisPhase, AxisPhase] | null {
  const phases: AxisPhase[] = [];
  for (let a = 0; a < 2; a++) {
    const taps: number[] = [];
    for (let t = k - 1; t >= 0; t--) if ((((a + pad - t) % 2) + 2) % 2 === 0) taps.push(t);
    if (!taps.length) return null;
    const first = (a + pad - taps[0]) / 2; // offsets ascend as the tap index descends
    const last = first + taps.length - 1;
    const before = -first;
    const after = last; // each phase is as long as g, and its last row reads g[len − 1 + last]
    if (before < 0 || after < 0) return null;
    phases.push({ taps, pads: [before, after] });
  }
  return [phases[0], phases[1]];
}

/**
 * dL/dx of a stride-2 convolution as four stride-1 convolutions, one per output phase (2i + a, 2j + b), each
 * with exactly the taps that phase reads (nine in all for a 3×3 kernel), then the phases interleaved by one concat
 * and one constant permutation GEMM. The phase convolutions run on ORT's NCHWc kernels,
 * which ConvTranspose (a small GEMM per image and a single-threaded col2im) does not use: measured on the Zen 5 VM
 * (`bench/engine/dx-probe.ts`), 10.7 against 13.3 ms for [128, 64, 16, 16] → [128, 32, 32, 32] and 7.1 against
 * 8.8 ms for [128, 128, 8, 8] → [128, 64, 16, 16]. Used when x's size is exactly twice g's, every phase has a
 * tap, and both channel counts are multiples of 16 (the NCHWc block on AVX-512; 8 on AVX2); otherwise null.
 * `CLADE_CONV_DX=transpose` (read when the graph is traced) keeps ConvTranspose, for A/B measurements.
 */
function polyphaseInputGrad(g: Tensor /* [N,O,J,L] */, x: Tensor, w: Tensor, at: ConvAttrs): Tensor | null {
  const [n, c, h, wd] = x.shape;
  const [o, , kh, kw] = w.shape;
  const [, , j, l] = g.shape;
  if (process.env.CLADE_CONV_DX === 'transpose') return null;
  if (at.strides[0] !== 2 || at.strides[1] !== 2 || at.group !== 1) return null;
  if (h !== 2 * j || wd !== 2 * l || c % 16 !== 0 || o % 16 !== 0) return null;
  const rows = axisPhases(kh, at.pads[0]);
  const cols = axisPhases(kw, at.pads[1]);
  if (!rows || !cols) return null;
  // Each phase kernel [C, O, th, tw] picks its taps out of w ([O, C, kh, kw] read as [C·O, kh·kw]) by a constant
  // 0/1 matrix.
  const wt = w.transpose([1, 0, 2, 3]).reshape([c * o, kh * kw]);
  const phase = (r: AxisPhase, q: AxisPhase) => {
    const sel = new Float32Array(kh * kw * r.taps.length * q.taps.length);
    r.taps.forEach((th, a) =>
      q.taps.forEach(
        (tw, b) => (sel[(th * kw + tw) * r.taps.length * q.taps.length + a * q.taps.length + b] = 1),
      ),
    );
    const k = wt.matmul(constant(sel, [kh * kw, r.taps.length * q.taps.length]));
    return prim('conv2d', [g, k.reshape([c, o, r.taps.length, q.taps.length])], {
      strides: [1, 1],
      pads: [r.pads[0], q.pads[0], r.pads[1], q.pads[1]],
      group: 1,
    }); /* [N, C, J, L] */
  };
  // The phases side by side, [N, C, J, a, (b, L)], are dX's rows 2i + a with their columns permuted: one constant
  // permutation GEMM over rows of 2L puts P_ab[·, ·, i, l] at column 2l + b, i.e. at dX[·, ·, 2i + a, 2l + b].
  const perm = new Float32Array(4 * l * l);
  for (let b = 0; b < 2; b++) for (let i = 0; i < l; i++) perm[(b * l + i) * 2 * l + 2 * i + b] = 1;
  const phases = rows.flatMap((r) => cols.map((q) => phase(r, q)));
  return concat(phases, 3)
    .reshape([n * c * j * 2, 2 * l])
    .matmul(constant(perm, [2 * l, 2 * l]))
    .reshape([n, c, h, wd]);
}

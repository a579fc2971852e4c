import type { AnyImage } from './float-image.ts';

/** Resampling filter, with torchvision's names. Both use PIL's kernels (bicubic with a = -0.5). */
export type Interpolation = 'bilinear' | 'bicubic';

/** Per-output-position filter taps along one axis: output i reads `count[i]` inputs from `start[i]`. */
export interface AxisCoeffs {
  readonly start: Int32Array; /* [N] */
  readonly count: Int32Array; /* [N] */
  readonly weights: Float64Array; /* [N, taps] */
  readonly taps: number;
}

const SUPPORT: Record<Interpolation, number> = { bilinear: 1, bicubic: 2 };

export function filterWeight(interpolation: Interpolation, x: number): number {
  x = Math.abs(x);
  if (interpolation === 'bilinear') return x < 1 ? 1 - x : 0;
  const a = -0.5;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/**
 * PIL's `precompute_coeffs` (what torchvision's PIL path and its `antialias=True` tensor path use): resizing
 * `inSize` samples to `outSize`, output i is centred at `(i + 0.5) * inSize / outSize` and, when downscaling with
 * antialias, the kernel is stretched by the scale. Weights are normalised to sum to 1 over the taps that fall
 * inside the input. Only outputs `offset .. offset + n - 1` are computed (a centre crop of the resized axis);
 * positions outside `[0, outSize)` get no taps (value 0, torchvision's crop padding). `reverse` mirrors the order
 * (a horizontal flip).
 *
 * @example
 * axisCoeffs(2, 4, 'bilinear').weights; // output 1 reads inputs 0, 1 with weights 0.75, 0.25
 */
export function axisCoeffs(
  inSize: number,
  outSize: number,
  interpolation: Interpolation,
  antialias = true,
  offset = 0,
  n = outSize,
  reverse = false,
): AxisCoeffs {
  const scale = inSize / outSize;
  const filterScale = antialias ? Math.max(scale, 1) : 1;
  const support = SUPPORT[interpolation] * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(n);
  const count = new Int32Array(n);
  const weights = new Float64Array(n * taps);
  const inv = 1 / filterScale;
  for (let j = 0; j < n; j++) {
    const i = offset + (reverse ? n - 1 - j : j);
    if (i < 0 || i >= outSize) continue;
    const center = (i + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    let sum = 0;
    for (let x = lo; x < hi; x++) {
      const w = filterWeight(interpolation, (x - center + 0.5) * inv);
      weights[j * taps + x - lo] = w;
      sum += w;
    }
    if (sum !== 0) for (let x = lo; x < hi; x++) weights[j * taps + x - lo] /= sum;
    start[j] = lo;
    count[j] = hi - lo;
  }
  return { start, count, weights, taps };
}

/** What to resample: a source box, the size it is resized to, the window of that kept, and a per-channel affine. */
export interface ResampleSpec {
  /** Source region, integer pixels (torchvision's `top, left, height, width`). */
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
  /** Size the region is resized to. */
  readonly resizeHeight: number;
  readonly resizeWidth: number;
  /** Window of the resized image written out (centre crop); defaults to all of it. */
  readonly cropTop?: number;
  readonly cropLeft?: number;
  readonly outHeight?: number;
  readonly outWidth?: number;
  readonly interpolation: Interpolation;
  readonly antialias?: boolean;
  readonly flip?: boolean;
  /** Per-channel `out = value01 * scale[c] + bias[c]` (value01 in [0, 1]); default identity (ToTensor). */
  readonly scale?: ArrayLike<number>;
  readonly bias?: ArrayLike<number>;
}

let tmp = new Float32Array(0);
let acc = new Float64Array(0);

/**
 * Fused crop -> resize -> (centre crop) -> flip -> ToTensor -> affine, writing CHW float into `out` at `offset`.
 * Reads HWC uint8 (`Image`, scaled by 1/255 and clamped to [0, 1] like PIL's 8-bit output) or CHW float.
 * Separable: a horizontal pass over only the source rows the vertical taps touch, then a vertical pass.
 */
export function resampleInto(src: AnyImage, spec: ResampleSpec, out: Float32Array, offset = 0): void {
  const C = src.channels;
  const outH = spec.outHeight ?? spec.resizeHeight;
  const outW = spec.outWidth ?? spec.resizeWidth;
  const aa = spec.antialias ?? true;
  const xc = axisCoeffs(
    spec.width,
    spec.resizeWidth,
    spec.interpolation,
    aa,
    spec.cropLeft ?? 0,
    outW,
    !!spec.flip,
  );
  const yc = axisCoeffs(
    spec.height,
    spec.resizeHeight,
    spec.interpolation,
    aa,
    spec.cropTop ?? 0,
    outH,
    false,
  );
  let r0 = Infinity;
  let r1 = -Infinity;
  for (let y = 0; y < outH; y++) {
    if (yc.count[y] === 0) continue;
    r0 = Math.min(r0, yc.start[y]);
    r1 = Math.max(r1, yc.start[y] + yc.count[y]);
  }
  const rows = r1 > r0 ? r1 - r0 : 0;
  if (tmp.length < C * rows * outW) tmp = new Float32Array(C * rows * outW);
  if (acc.length < outW) acc = new Float64Array(outW);
  const plane = rows * outW;
  const u8 = !(src.data instanceof Float32Array);
  const xs = xc.start;
  const xn = xc.count;
  const xw = xc.weights;
  const xt = xc.taps;
  // Horizontal pass: tmp[c, r, x] for source rows top + r0 .. top + r1 - 1.
  if (u8 && C === 3) {
    const d = src.data;
    const rowStride = src.width * 3;
    for (let r = 0; r < rows; r++) {
      const rowBase = (spec.top + r0 + r) * rowStride + spec.left * 3;
      const t = r * outW;
      for (let x = 0; x < outW; x++) {
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        let p = rowBase + xs[x] * 3;
        const wb = x * xt;
        const n = xn[x];
        if (n === 2) {
          const w0 = xw[wb];
          const w1 = xw[wb + 1];
          a0 = w0 * d[p] + w1 * d[p + 3];
          a1 = w0 * d[p + 1] + w1 * d[p + 4];
          a2 = w0 * d[p + 2] + w1 * d[p + 5];
        } else if (n === 3) {
          const w0 = xw[wb];
          const w1 = xw[wb + 1];
          const w2 = xw[wb + 2];
          a0 = w0 * d[p] + w1 * d[p + 3] + w2 * d[p + 6];
          a1 = w0 * d[p + 1] + w1 * d[p + 4] + w2 * d[p + 7];
          a2 = w0 * d[p + 2] + w1 * d[p + 5] + w2 * d[p + 8];
        } else if (n === 4) {
          const w0 = xw[wb];
          const w1 = xw[wb + 1];
          const w2 = xw[wb + 2];
          const w3 = xw[wb + 3];
          a0 = w0 * d[p] + w1 * d[p + 3] + w2 * d[p + 6] + w3 * d[p + 9];
          a1 = w0 * d[p + 1] + w1 * d[p + 4] + w2 * d[p + 7] + w3 * d[p + 10];
          a2 = w0 * d[p + 2] + w1 * d[p + 5] + w2 * d[p + 8] + w3 * d[p + 11];
        } else
          for (let k = 0; k < n; k++, p += 3) {
            const w = xw[wb + k];
            a0 += w * d[p];
            a1 += w * d[p + 1];
            a2 += w * d[p + 2];
          }
        tmp[t + x] = a0;
        tmp[plane + t + x] = a1;
        tmp[2 * plane + t + x] = a2;
      }
    }
  } else {
    const d = src.data;
    const cs = u8 ? 1 : src.width * src.height;
    const ps = u8 ? C : 1;
    const rs = src.width * ps;
    for (let c = 0; c < C; c++)
      for (let r = 0; r < rows; r++) {
        const rowBase = c * cs + (spec.top + r0 + r) * rs + spec.left * ps;
        const t = c * plane + r * outW;
        for (let x = 0; x < outW; x++) {
          let a = 0;
          let p = rowBase + xs[x] * ps;
          const wb = x * xt;
          for (let k = 0, n = xn[x]; k < n; k++, p += ps) a += xw[wb + k] * d[p];
          tmp[t + x] = a;
        }
      }
  }
  // PIL keeps the intermediate image in 8 bits, so a bicubic overshoot of the first pass is clipped before the second.
  if (u8 && spec.interpolation === 'bicubic')
    for (let i = 0, n = C * plane; i < n; i++) tmp[i] = tmp[i] < 0 ? 0 : tmp[i] > 255 ? 255 : tmp[i];
  // Vertical pass, then clamp (8-bit sources), scale and bias: out[x] = sum_k w_k * tmp[row_k, x].
  const norm = u8 ? 1 / 255 : 1;
  const yw = yc.weights;
  for (let c = 0; c < C; c++) {
    const s1 = spec.scale ? spec.scale[c] : 1;
    const sc = s1 * norm;
    const bi = spec.bias ? spec.bias[c] : 0;
    // 8-bit sources: clamp the [0, 1] value, i.e. the output to [bias, scale + bias].
    const lo = u8 ? bi : -Infinity;
    const hi = u8 ? s1 + bi : Infinity;
    const flipBounds = s1 < 0;
    const vmin = flipBounds ? hi : lo;
    const vmax = flipBounds ? lo : hi;
    for (let y = 0; y < outH; y++) {
      const n = yc.count[y];
      const wb = y * yc.taps;
      const base = c * plane + (yc.start[y] - r0) * outW;
      const o = offset + (c * outH + y) * outW;
      if (n === 2) {
        const w0 = yw[wb] * sc;
        const w1 = yw[wb + 1] * sc;
        const t1 = base + outW;
        for (let x = 0; x < outW; x++) {
          const v = w0 * tmp[base + x] + w1 * tmp[t1 + x] + bi;
          out[o + x] = v < vmin ? vmin : v > vmax ? vmax : v;
        }
      } else if (n === 3) {
        const w0 = yw[wb] * sc;
        const w1 = yw[wb + 1] * sc;
        const w2 = yw[wb + 2] * sc;
        const t1 = base + outW;
        const t2 = t1 + outW;
        for (let x = 0; x < outW; x++) {
          const v = w0 * tmp[base + x] + w1 * tmp[t1 + x] + w2 * tmp[t2 + x] + bi;
          out[o + x] = v < vmin ? vmin : v > vmax ? vmax : v;
        }
      } else if (n === 4) {
        const w0 = yw[wb] * sc;
        const w1 = yw[wb + 1] * sc;
        const w2 = yw[wb + 2] * sc;
        const w3 = yw[wb + 3] * sc;
        const t1 = base + outW;
        const t2 = t1 + outW;
        const t3 = t2 + outW;
        for (let x = 0; x < outW; x++) {
          const v = w0 * tmp[base + x] + w1 * tmp[t1 + x] + w2 * tmp[t2 + x] + w3 * tmp[t3 + x] + bi;
          out[o + x] = v < vmin ? vmin : v > vmax ? vmax : v;
        }
      } else {
        // Longer kernels (bicubic downscaling): accumulate whole rows, two taps at a time.
        acc.fill(0, 0, outW);
        let k = 0;
        for (; k + 1 < n; k += 2) {
          const w0 = yw[wb + k];
          const w1 = yw[wb + k + 1];
          const ta = base + k * outW;
          const tb = ta + outW;
          for (let x = 0; x < outW; x++) acc[x] += w0 * tmp[ta + x] + w1 * tmp[tb + x];
        }
        if (k < n) {
          const w0 = yw[wb + k];
          const ta = base + k * outW;
          for (let x = 0; x < outW; x++) acc[x] += w0 * tmp[ta + x];
        }
        for (let x = 0; x < outW; x++) {
          const v = acc[x] * sc + bi;
          out[o + x] = v < vmin ? vmin : v > vmax ? vmax : v;
        }
      }
    }
  }
}

/** PIL's fixed-point precision for 8-bit resampling (`PRECISION_BITS = 32 - 8 - 2`). */
const PIL_BITS = 22;
const PIL_ONE = 2 ** PIL_BITS;

/** PIL's `normalize_coeffs_8bpc`: double weights → fixed point, rounded half away from zero. */
function pilFixed(c: AxisCoeffs): Int32Array {
  return Int32Array.from(c.weights, (v) => Math.trunc(v < 0 ? -0.5 + v * PIL_ONE : 0.5 + v * PIL_ONE));
}

/**
 * `resampleInto` for 8-bit sources, bit-exact with PIL's `Image.resize` (Resample.c): the same coefficients rounded to
 * 22-bit fixed point, a horizontal pass (skipped when the width is unchanged) whose output is rounded and clipped to
 * 8 bits, then a vertical pass (skipped when the height is unchanged), rounded and clipped again; then ToTensor
 * (/255) and the affine. Crop windows and flips index the resized image exactly as `resampleInto` does, so a fused
 * resize + centre crop gives PIL's resize followed by torchvision's crop, value for value.
 *
 * @example
 * resamplePil8Into(img, { ...ev.spec(h, w), scale, bias }, out); // = PIL resize + crop + normalise
 */
export function resamplePil8Into(
  src: { data: Uint8Array; width: number; height: number; channels: number },
  spec: ResampleSpec,
  out: Float32Array,
  offset = 0,
): void {
  const C = src.channels;
  const outH = spec.outHeight ?? spec.resizeHeight;
  const outW = spec.outWidth ?? spec.resizeWidth;
  const aa = spec.antialias ?? true;
  const needH = spec.resizeWidth !== spec.width;
  const needV = spec.resizeHeight !== spec.height;
  const xc = axisCoeffs(
    spec.width,
    spec.resizeWidth,
    spec.interpolation,
    aa,
    spec.cropLeft ?? 0,
    outW,
    !!spec.flip,
  );
  const yc = axisCoeffs(
    spec.height,
    spec.resizeHeight,
    spec.interpolation,
    aa,
    spec.cropTop ?? 0,
    outH,
    false,
  );
  const xk = pilFixed(xc);
  const yk = pilFixed(yc);
  const clip8 = (ss: number) => {
    const v = Math.floor(ss / PIL_ONE);
    return v < 0 ? 0 : v > 255 ? 255 : v;
  };
  // Which source rows the vertical pass reads (all of a window's rows when the height is unchanged).
  const crop0 = spec.cropTop ?? 0;
  const rowOf = (y: number) => crop0 + y; // unchanged height: output row y is resized row crop0 + y
  let r0 = Infinity;
  let r1 = -Infinity;
  for (let y = 0; y < outH; y++) {
    if (needV) {
      if (yc.count[y] === 0) continue;
      r0 = Math.min(r0, yc.start[y]);
      r1 = Math.max(r1, yc.start[y] + yc.count[y]);
    } else if (rowOf(y) >= 0 && rowOf(y) < spec.height) {
      r0 = Math.min(r0, rowOf(y));
      r1 = Math.max(r1, rowOf(y) + 1);
    }
  }
  const rows = r1 > r0 ? r1 - r0 : 0;
  // Horizontal pass → 8-bit tmp [rows, outW, C]; -1 marks positions outside the resized image (padding).
  const tmp = new Int16Array(rows * outW * C);
  const d = src.data;
  const rs = src.width * C;
  for (let r = 0; r < rows; r++) {
    const base = (spec.top + r0 + r) * rs + spec.left * C;
    for (let x = 0; x < outW; x++) {
      const t = (r * outW + x) * C;
      if (!needH) {
        const sx = spec.flip ? (spec.cropLeft ?? 0) + outW - 1 - x : (spec.cropLeft ?? 0) + x;
        for (let c = 0; c < C; c++) tmp[t + c] = sx >= 0 && sx < spec.width ? d[base + sx * C + c] : -1;
        continue;
      }
      const n = xc.count[x];
      if (n === 0) {
        for (let c = 0; c < C; c++) tmp[t + c] = -1;
        continue;
      }
      const p = base + xc.start[x] * C;
      for (let c = 0; c < C; c++) {
        let ss = PIL_ONE / 2;
        for (let k = 0; k < n; k++) ss += d[p + k * C + c] * xk[x * xc.taps + k];
        tmp[t + c] = clip8(ss);
      }
    }
  }
  // Vertical pass, then ToTensor and the affine; padding gets value 0 (torchvision's crop padding).
  for (let y = 0; y < outH; y++)
    for (let x = 0; x < outW; x++)
      for (let c = 0; c < C; c++) {
        let v: number;
        if (!needV) {
          const sr = rowOf(y) - r0;
          v = rowOf(y) >= 0 && rowOf(y) < spec.height ? tmp[(sr * outW + x) * C + c] : -1;
        } else if (yc.count[y] === 0) v = -1;
        else {
          let ss = PIL_ONE / 2;
          let pad = false;
          for (let k = 0; k < yc.count[y]; k++) {
            const tv = tmp[((yc.start[y] - r0 + k) * outW + x) * C + c];
            if (tv < 0) pad = true;
            ss += tv * yk[y * yc.taps + k];
          }
          v = pad ? -1 : clip8(ss);
        }
        const value = v < 0 ? 0 : v / 255;
        out[offset + (c * outH + y) * outW + x] =
          value * (spec.scale ? spec.scale[c] : 1) + (spec.bias ? spec.bias[c] : 0);
      }
}

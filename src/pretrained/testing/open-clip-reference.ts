/**
 * open_clip's CLIP forward written directly on its state dict with float64 loops, after `transformer.py`
 * (VisionTransformer.forward, ResidualAttentionBlock, nn.MultiheadAttention with in_proj, CLIP.encode_text).
 * It shares no code with clade's modules, the key mapping or the engine: tests use it to check the loader on
 * configurations the fixtures do not cover (head counts, MLP ratios, biased text projection, LayerScale, 'avg'
 * pooling, non-square images).
 */
import type { SafeTensor } from '../../io/safetensors.ts';
import type { OpenClipSpec } from '../../checkpoints/open-clip-config.ts';

type SD = ReadonlyMap<string, SafeTensor>;
const get = (sd: SD, k: string): Float32Array => {
  const t = sd.get(k);
  if (!t) throw new Error(`reference: missing ${k}`);
  return t.data as Float32Array;
};

/** x [L, D] → LayerNorm per row. */
function layerNorm(
  x: Float64Array,
  L: number,
  D: number,
  g: Float32Array,
  b: Float32Array,
  eps: number,
): Float64Array {
  const y = new Float64Array(L * D);
  for (let i = 0; i < L; i++) {
    let m = 0;
    for (let j = 0; j < D; j++) m += x[i * D + j];
    m /= D;
    let v = 0;
    for (let j = 0; j < D; j++) v += (x[i * D + j] - m) ** 2;
    v /= D;
    const r = 1 / Math.sqrt(v + eps);
    for (let j = 0; j < D; j++) y[i * D + j] = (x[i * D + j] - m) * r * g[j] + b[j];
  }
  return y;
}

/** PyTorch Linear: x [L, I] · Wᵀ (W [O, I]) + b. */
function linearT(
  x: Float64Array,
  L: number,
  I: number,
  W: Float32Array,
  O: number,
  b?: Float32Array,
): Float64Array {
  const y = new Float64Array(L * O);
  for (let i = 0; i < L; i++)
    for (let o = 0; o < O; o++) {
      let s = b ? b[o] : 0;
      for (let k = 0; k < I; k++) s += x[i * I + k] * W[o * I + k];
      y[i * O + o] = s;
    }
  return y;
}

/** erf by its Maclaurin series (|x| < 3) or a continued fraction: far below float32 error. */
function erf(x: number): number {
  const t = Math.abs(x);
  if (t < 3) {
    let sum = t;
    let term = t;
    for (let n = 1; n < 80; n++) {
      term *= (-t * t) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (t + f);
  return Math.sign(x) * (1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f));
}

interface BlockArgs {
  readonly L: number;
  readonly D: number;
  readonly heads: number;
  readonly causal: boolean;
  readonly eps: number;
  readonly ls: boolean;
  readonly quick: boolean;
}

function block(sd: SD, pre: string, x: Float64Array, a: BlockArgs): Float64Array {
  const { L, D, heads } = a;
  const dh = D / heads;
  const y = layerNorm(x, L, D, get(sd, `${pre}.ln_1.weight`), get(sd, `${pre}.ln_1.bias`), a.eps);
  const qkv = linearT(
    y,
    L,
    D,
    get(sd, `${pre}.attn.in_proj_weight`),
    3 * D,
    get(sd, `${pre}.attn.in_proj_bias`),
  );
  const att = new Float64Array(L * D);
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < L; i++) {
      const s = new Float64Array(L);
      let m = -Infinity;
      for (let j = 0; j < L; j++) {
        let dot = 0;
        for (let e = 0; e < dh; e++) dot += qkv[i * 3 * D + h * dh + e] * qkv[j * 3 * D + D + h * dh + e];
        s[j] = a.causal && j > i ? -Infinity : dot / Math.sqrt(dh);
        m = Math.max(m, s[j]);
      }
      let z = 0;
      for (let j = 0; j < L; j++) z += s[j] = Math.exp(s[j] - m);
      for (let e = 0; e < dh; e++) {
        let o = 0;
        for (let j = 0; j < L; j++) o += (s[j] / z) * qkv[j * 3 * D + 2 * D + h * dh + e];
        att[i * D + h * dh + e] = o;
      }
    }
  const ao = linearT(
    att,
    L,
    D,
    get(sd, `${pre}.attn.out_proj.weight`),
    D,
    get(sd, `${pre}.attn.out_proj.bias`),
  );
  const g1 = a.ls ? get(sd, `${pre}.ls_1.gamma`) : null;
  const x1 = x.map((v, k) => v + (g1 ? g1[k % D] : 1) * ao[k]);
  const y2 = layerNorm(x1, L, D, get(sd, `${pre}.ln_2.weight`), get(sd, `${pre}.ln_2.bias`), a.eps);
  const M = get(sd, `${pre}.mlp.c_fc.bias`).length;
  const hdn = linearT(y2, L, D, get(sd, `${pre}.mlp.c_fc.weight`), M, get(sd, `${pre}.mlp.c_fc.bias`)).map(
    (v) => (a.quick ? v / (1 + Math.exp(-1.702 * v)) : 0.5 * v * (1 + erf(v / Math.SQRT2))),
  );
  const mo = linearT(hdn, L, M, get(sd, `${pre}.mlp.c_proj.weight`), D, get(sd, `${pre}.mlp.c_proj.bias`));
  const g2 = a.ls ? get(sd, `${pre}.ls_2.gamma`) : null;
  return x1.map((v, k) => v + (g2 ? g2[k % D] : 1) * mo[k]);
}

/** `model.encode_image(x)` for one image x [3, H, W] → [E]. */
export function referenceEncodeImage(sd: SD, spec: OpenClipSpec, x: Float32Array): Float64Array {
  const v = spec.vision;
  const [H, W] = v.image;
  const p = v.patch;
  const D = v.width;
  const gh = H / p;
  const gw = W / p;
  const L = 1 + gh * gw;
  const conv = get(sd, 'visual.conv1.weight');
  let t: Float64Array = new Float64Array(L * D);
  const cls = get(sd, 'visual.class_embedding');
  for (let d = 0; d < D; d++) t[d] = cls[d];
  for (let gy = 0; gy < gh; gy++)
    for (let gx = 0; gx < gw; gx++)
      for (let d = 0; d < D; d++) {
        let s = 0;
        for (let c = 0; c < 3; c++)
          for (let dy = 0; dy < p; dy++)
            for (let dx = 0; dx < p; dx++)
              s += conv[((d * 3 + c) * p + dy) * p + dx] * x[(c * H + gy * p + dy) * W + gx * p + dx];
        t[(1 + gy * gw + gx) * D + d] = s;
      }
  const pos = get(sd, 'visual.positional_embedding');
  t = t.map((val, k) => val + pos[k]);
  if (v.lnPre)
    t = layerNorm(t, L, D, get(sd, 'visual.ln_pre.weight'), get(sd, 'visual.ln_pre.bias'), v.lnEps);
  const args = {
    L,
    D,
    heads: v.heads,
    causal: false,
    eps: v.lnEps,
    ls: v.layerScale,
    quick: spec.activation === 'quickGelu',
  };
  for (let i = 0; i < v.layers; i++) t = block(sd, `visual.transformer.resblocks.${i}`, t, args);
  const lnPost = (r: Float64Array, n: number) =>
    layerNorm(r, n, D, get(sd, 'visual.ln_post.weight'), get(sd, 'visual.ln_post.bias'), v.lnEps);
  let pooled: Float64Array;
  if (v.pool === 'tok') pooled = v.lnAfterPool ? lnPost(t.slice(0, D), 1) : lnPost(t, L).slice(0, D);
  else {
    const src = v.lnAfterPool ? t : lnPost(t, L);
    const mean = new Float64Array(D);
    for (let i = 1; i < L; i++) for (let d = 0; d < D; d++) mean[d] += src[i * D + d] / (L - 1);
    pooled = v.lnAfterPool ? lnPost(mean, 1) : mean;
  }
  const proj = get(sd, 'visual.proj'); // [D, E]
  const E = spec.embedDim;
  const out = new Float64Array(E);
  for (let e = 0; e < E; e++) for (let d = 0; d < D; d++) out[e] += pooled[d] * proj[d * E + e];
  return out;
}

/** `model.encode_text(ids)` for one padded row of token ids [T] → [E]. */
export function referenceEncodeText(sd: SD, spec: OpenClipSpec, ids: ArrayLike<number>): Float64Array {
  const tx = spec.text;
  const pre = spec.customText ? 'text.' : '';
  const D = tx.width;
  const L = ids.length;
  const tok = get(sd, `${pre}token_embedding.weight`);
  const pos = get(sd, `${pre}positional_embedding`);
  let t: Float64Array = new Float64Array(L * D);
  for (let i = 0; i < L; i++) for (let d = 0; d < D; d++) t[i * D + d] = tok[ids[i] * D + d] + pos[i * D + d];
  const args = {
    L,
    D,
    heads: tx.heads,
    causal: tx.causal,
    eps: tx.lnEps,
    ls: tx.layerScale,
    quick: spec.activation === 'quickGelu',
  };
  for (let i = 0; i < tx.layers; i++) t = block(sd, `${pre}transformer.resblocks.${i}`, t, args);
  t = layerNorm(t, L, D, get(sd, `${pre}ln_final.weight`), get(sd, `${pre}ln_final.bias`), tx.lnEps);
  let am = 0;
  for (let i = 1; i < L; i++) if (ids[i] > ids[am]) am = i;
  const pooled = t.slice(am * D, (am + 1) * D);
  if (tx.proj === 'none') return pooled;
  const E = spec.embedDim;
  if (tx.projBias)
    return linearT(
      pooled,
      1,
      D,
      get(sd, `${pre}text_projection.weight`),
      E,
      get(sd, `${pre}text_projection.bias`),
    );
  const proj = get(sd, `${pre}text_projection`);
  const out = new Float64Array(E);
  for (let e = 0; e < E; e++) for (let d = 0; d < D; d++) out[e] += pooled[d] * proj[d * E + e];
  return out;
}

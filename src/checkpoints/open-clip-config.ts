/**
 * `open_clip_config.json` of an open_clip checkpoint folder (the layout BioCLIP, BioCLIP 2 and OpenCLIP models are
 * published in): `model_cfg` (open_clip's `CLIPVisionCfg` / `CLIPTextCfg` field names) and `preprocess_cfg`.
 * Every key open_clip knows is accepted by the schema; options that change the model in ways clade does not build
 * (timm or Hugging Face towers, attentional pooling, custom attention blocks, ...) are rejected by name, and
 * unknown keys are rejected too: a config clade cannot read exactly never becomes a silently different model.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseOrThrow, problemsError } from '../config/zod-errors.ts';
import { CladeError } from '../util/errors.ts';

const size = z.union([
  z.number().int().positive(),
  z.tuple([z.number().int().positive(), z.number().int().positive()]),
]);
const any = z.unknown().optional();
const kwargs = z.record(z.string(), z.unknown()).nullable().optional();

/** The transformer-block options both of open_clip's tower configs carry (read, then checked in the tower configs). */
const blockFields = {
  output_tokens: z.boolean().default(false),
  act_kwargs: kwargs,
  norm_kwargs: kwargs,
  block_type: z.string().nullable().optional(),
  qk_norm: z.boolean().default(false),
  scaled_cosine_attn: z.boolean().default(false),
  scale_heads: z.boolean().default(false),
  scale_attn_inner: z.boolean().default(false),
  scale_attn: z.boolean().default(false),
  scale_fc: z.boolean().default(false),
};

/** open_clip's CLIPVisionCfg fields (v2.24 … v3); ResNet (`layers` as a list) and timm towers are named, then rejected. */
const VisionCfg = z.strictObject({
  layers: z.union([z.number().int().positive(), z.array(z.number().int())]).default(12),
  width: z.number().int().positive().default(768),
  head_width: z.number().int().positive().default(64),
  mlp_ratio: z.number().positive().default(4),
  patch_size: z.number().int().positive().default(16),
  image_size: size.default(224),
  image_seq_len: z.number().nullable().optional(),
  ls_init_value: z.number().nullable().optional(),
  patch_dropout: z.number().min(0).max(1).default(0),
  attentional_pool: z.union([z.boolean(), z.string()]).default(false),
  attn_pooler_queries: any,
  attn_pooler_heads: any,
  no_ln_pre: z.boolean().default(false),
  pos_embed_type: z.string().default('learnable'),
  final_ln_after_pool: z.boolean().default(false),
  pool_type: z.string().default('tok'),
  ...blockFields,
  timm_model_name: z.string().nullable().optional(),
  timm_model_pretrained: any,
  timm_pool: any,
  timm_proj: any,
  timm_proj_bias: any,
  timm_drop: any,
  timm_drop_path: any,
  timm_model_kwargs: any,
});

/** open_clip's CLIPTextCfg fields. */
const TextCfg = z.strictObject({
  text_arch: z.string().default('clip'),
  context_length: z.number().int().positive().default(77),
  variable_text: z.boolean().default(false),
  vocab_size: z.number().int().positive().default(49408),
  hf_tokenizer_name: z.string().nullable().optional(),
  tokenizer_mode: z.string().nullable().optional(),
  tokenizer_kwargs: kwargs,
  width: z.number().int().positive().default(512),
  heads: z.number().int().positive().default(8),
  layers: z.number().int().positive().default(12),
  mlp_ratio: z.number().positive().default(4),
  ls_init_value: z.number().nullable().optional(),
  embed_cls: z.boolean().default(false),
  pad_id: z.number().int().default(0),
  bos_id: z.number().int().nullable().optional(),
  eos_id: z.number().int().nullable().optional(),
  tokenizer_type: z.string().default(''),
  tiktoken_name: any,
  no_causal_mask: z.boolean().default(false),
  final_ln_after_pool: z.boolean().default(false),
  pool_type: z.string().default('argmax'),
  proj_bias: z.boolean().default(false),
  proj_type: z.string().default('linear'),
  ...blockFields,
  hf_model_name: z.string().nullable().optional(),
  hf_model_pretrained: any,
  hf_proj_type: any,
  hf_pooler_type: any,
  hf_model_config: any,
});

const ModelCfg = z.strictObject({
  embed_dim: z.number().int().positive(),
  quick_gelu: z.boolean().default(false),
  vision_cfg: VisionCfg,
  text_cfg: TextCfg,
  custom_text: z.boolean().default(false),
  init_logit_scale: z.number().optional(),
  init_logit_bias: z.number().nullable().optional(),
  cast_dtype: z.string().nullable().optional(),
  output_dict: z.boolean().optional(),
  multimodal_cfg: z.unknown().optional(),
  nonscalar_logit_scale: z.boolean().default(false),
});

const PreprocessCfg = z.strictObject({
  size: size.optional(),
  mode: z.literal('RGB').default('RGB'),
  mean: z.union([z.number(), z.array(z.number()).length(3)]).optional(),
  std: z.union([z.number(), z.array(z.number()).length(3)]).optional(),
  interpolation: z.enum(['bicubic', 'bilinear', 'random']).default('bicubic'),
  resize_mode: z.enum(['shortest', 'longest', 'squash']).default('shortest'),
  fill_color: z.number().int().min(0).max(255).default(0),
});

export const OpenClipConfigSchema = z.looseObject({
  model_cfg: ModelCfg,
  preprocess_cfg: PreprocessCfg.default({} as never),
});

/** OpenAI CLIP's normalisation statistics, open_clip's defaults. */
export const OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

/** open_clip's eval transform, resolved (`image_transform(..., is_train=False)`). */
export interface OpenClipPreprocess {
  /** Output [height, width] (the model's image size). */
  readonly size: readonly [number, number];
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  readonly interpolation: 'bicubic' | 'bilinear';
  /** 'shortest': resize the shorter side + centre crop; 'longest': fit the longer side + pad; 'squash': stretch. */
  readonly resizeMode: 'shortest' | 'longest' | 'squash';
  /** Padding value (0-255) of 'longest'. */
  readonly fillColor: number;
}

/** Everything clade needs to build and run an open_clip CLIP model, in clade's terms. */
export interface OpenClipSpec {
  readonly embedDim: number;
  readonly activation: 'gelu' | 'quickGelu';
  /** Text tower keys live under `text.` (open_clip's CustomTextCLIP) rather than at the top level. */
  readonly customText: boolean;
  readonly vision: {
    readonly image: readonly [number, number];
    readonly patch: number;
    readonly width: number;
    readonly layers: number;
    readonly heads: number;
    readonly mlp: number;
    readonly lnPre: boolean;
    /** 'tok': the class token; 'avg': the mean of the patch tokens. */
    readonly pool: 'tok' | 'avg';
    readonly lnAfterPool: boolean;
    readonly layerScale: boolean;
    readonly lnEps: number;
  };
  readonly text: {
    readonly context: number;
    readonly vocab: number;
    readonly width: number;
    readonly layers: number;
    readonly heads: number;
    readonly mlp: number;
    readonly causal: boolean;
    /** 'linear' (`text_projection` [width, embed_dim] or a biased Linear) or 'none'. */
    readonly proj: 'linear' | 'none';
    readonly projBias: boolean;
    readonly layerScale: boolean;
    readonly lnEps: number;
  };
  readonly preprocess: OpenClipPreprocess;
}

const pair = (s: number | readonly number[]): [number, number] =>
  typeof s === 'number' ? [s, s] : [s[0], s[1]];

/** `norm_kwargs` may set only `eps`; anything else changes the model in a way clade does not build. */
function lnEps(kw: Record<string, unknown> | null | undefined, key: string, problems: string[]): number {
  if (!kw) return 1e-5;
  const extra = Object.keys(kw).filter((k) => k !== 'eps');
  if (extra.length) problems.push(`'${key}': only 'eps' is supported, got ${extra.join(', ')}`);
  const eps = kw.eps ?? 1e-5;
  if (typeof eps !== 'number' || !(eps > 0)) problems.push(`'${key}.eps': expected a positive number`);
  return Number(eps);
}

/**
 * Validate a parsed `open_clip_config.json` and resolve it to an `OpenClipSpec`; throws one `CladeError` listing
 * every unsupported option by its key.
 *
 * @example
 * const spec = openClipSpec(JSON.parse(readFileSync('open_clip_config.json', 'utf8')));
 * spec.vision.heads; // 16 for ViT-L-14 (width 1024 / head_width 64)
 */
export function openClipSpec(json: unknown, file?: string): OpenClipSpec {
  const cfg = parseOrThrow(OpenClipConfigSchema, json, { file });
  const m = cfg.model_cfg;
  const v = m.vision_cfg;
  const t = m.text_cfg;
  const p: string[] = [];
  const V = 'model_cfg.vision_cfg';
  const T = 'model_cfg.text_cfg';
  const no = (cond: unknown, key: string, what: string) => {
    if (cond)
      p.push(`'${key}': ${what} is not supported (clade builds open_clip's ViT + text transformer CLIP)`);
  };
  no(m.multimodal_cfg !== undefined, 'model_cfg.multimodal_cfg', 'a CoCa multimodal decoder');
  no(m.nonscalar_logit_scale, 'model_cfg.nonscalar_logit_scale', 'a non-scalar logit scale');
  no(v.timm_model_name, `${V}.timm_model_name`, `a timm image tower ('${v.timm_model_name}')`);
  no(Array.isArray(v.layers), `${V}.layers`, 'a ModifiedResNet image tower (layers given as a list: RN50 …)');
  no(v.attentional_pool, `${V}.attentional_pool`, 'attentional pooling');
  no(v.image_seq_len != null, `${V}.image_seq_len`, 'NaFlex variable-resolution input');
  no(
    !['learnable', 'sin_cos_2d'].includes(v.pos_embed_type),
    `${V}.pos_embed_type`,
    `'${v.pos_embed_type}' positions`,
  );
  no(
    !['tok', 'avg'].includes(v.pool_type),
    `${V}.pool_type`,
    `pool_type '${v.pool_type}' (clade pools 'tok' or 'avg')`,
  );
  no(v.act_kwargs && Object.keys(v.act_kwargs).length, `${V}.act_kwargs`, 'activation arguments');
  no(t.act_kwargs && Object.keys(t.act_kwargs).length, `${T}.act_kwargs`, 'activation arguments');
  for (const [c, k] of [
    [v, V],
    [t, T],
  ] as const) {
    no(c.block_type && c.block_type !== 'default', `${k}.block_type`, `block_type '${c.block_type}'`);
    for (const f of [
      'qk_norm',
      'scaled_cosine_attn',
      'scale_heads',
      'scale_attn_inner',
      'scale_attn',
      'scale_fc',
    ] as const)
      no(c[f], `${k}.${f}`, `${f} (a custom attention block)`);
  }
  no(t.hf_model_name, `${T}.hf_model_name`, `a Hugging Face text tower ('${t.hf_model_name}')`);
  no(
    t.hf_tokenizer_name,
    `${T}.hf_tokenizer_name`,
    `a Hugging Face tokenizer ('${t.hf_tokenizer_name}'; clade ships CLIP's BPE)`,
  );
  no(t.text_arch !== 'clip', `${T}.text_arch`, `text_arch '${t.text_arch}'`);
  no(t.variable_text, `${T}.variable_text`, 'variable-length text');
  no(
    t.tokenizer_type && t.tokenizer_type !== 'clip',
    `${T}.tokenizer_type`,
    `tokenizer '${t.tokenizer_type}'`,
  );
  no(t.tokenizer_mode, `${T}.tokenizer_mode`, `tokenizer_mode '${t.tokenizer_mode}'`);
  no(
    t.tokenizer_kwargs && Object.keys(t.tokenizer_kwargs).length,
    `${T}.tokenizer_kwargs`,
    'tokenizer arguments',
  );
  no(t.embed_cls, `${T}.embed_cls`, 'an appended class embedding (CoCa)');
  no(
    t.pool_type !== 'argmax',
    `${T}.pool_type`,
    `pool_type '${t.pool_type}' (clade pools at the end-of-text token, 'argmax')`,
  );
  no(!['linear', 'none'].includes(t.proj_type), `${T}.proj_type`, `proj_type '${t.proj_type}'`);
  no(
    t.vocab_size !== 49408,
    `${T}.vocab_size`,
    `vocab_size ${t.vocab_size} (clade's CLIP BPE has 49,408 tokens)`,
  );
  if (t.width % t.heads !== 0) p.push(`'${T}.heads': ${t.heads} does not divide width ${t.width}`);
  const vLayers = typeof v.layers === 'number' ? v.layers : 0;
  if (v.width % v.head_width !== 0)
    p.push(`'${V}.head_width': ${v.head_width} does not divide width ${v.width}`);
  const image = pair(v.image_size);
  if (image[0] % v.patch_size || image[1] % v.patch_size)
    p.push(`'${V}.patch_size': ${v.patch_size} does not divide image_size ${image.join('x')}`);
  const vEps = lnEps(v.norm_kwargs, `${V}.norm_kwargs`, p);
  const tEps = lnEps(t.norm_kwargs, `${T}.norm_kwargs`, p);
  const pre = cfg.preprocess_cfg;
  const three = (x: number | number[] | undefined, d: readonly number[]) =>
    (x === undefined ? [...d] : typeof x === 'number' ? [x, x, x] : x) as unknown as [number, number, number];
  if (p.length) throw problemsError(p, file);
  // open_clip sets the preprocessing size to the model's image size, whatever preprocess_cfg.size says.
  return {
    embedDim: m.embed_dim,
    activation: m.quick_gelu ? 'quickGelu' : 'gelu',
    customText: m.custom_text,
    vision: {
      image,
      patch: v.patch_size,
      width: v.width,
      layers: vLayers,
      heads: v.width / v.head_width,
      mlp: Math.trunc(v.width * v.mlp_ratio),
      lnPre: !v.no_ln_pre,
      pool: v.pool_type as 'tok' | 'avg',
      lnAfterPool: v.final_ln_after_pool,
      layerScale: v.ls_init_value != null,
      lnEps: vEps,
    },
    text: {
      context: t.context_length,
      vocab: t.vocab_size,
      width: t.width,
      layers: t.layers,
      heads: t.heads,
      mlp: Math.trunc(t.width * t.mlp_ratio),
      causal: !t.no_causal_mask,
      proj: t.proj_type as 'linear' | 'none',
      projBias: t.proj_bias,
      layerScale: t.ls_init_value != null,
      lnEps: tEps,
    },
    preprocess: {
      size: image,
      mean: three(pre.mean, OPENAI_CLIP_MEAN),
      std: three(pre.std, OPENAI_CLIP_STD),
      // open_clip: 'random' is a training option; evaluation then uses bicubic.
      interpolation: pre.interpolation === 'bilinear' ? 'bilinear' : 'bicubic',
      resizeMode: pre.resize_mode,
      fillColor: pre.fill_color,
    },
  };
}

/**
 * Read and resolve `DIR/open_clip_config.json`.
 *
 * @example
 * readOpenClipConfig('models/bioclip-2').embedDim; // 768
 */
export function readOpenClipConfig(dir: string): OpenClipSpec {
  const file = join(dir, 'open_clip_config.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CladeError(`cannot read open_clip config: ${(e as Error).message}`, { file });
  }
  return openClipSpec(json, file);
}

/**
 * open_clip state-dict names ↔ clade parameter trees. One table (`keyMap`) lists, for a resolved config, every
 * checkpoint tensor: its open_clip name, its clade path, its shape in the checkpoint and how it is laid out in
 * clade (copied, transposed from PyTorch's [out, in] Linear layout, or the patch conv flattened). Reading checks that
 * every expected key is present with its exact shape and that no unexpected key is left over (an attentional pooler,
 * a second projection ...), so a checkpoint that does not match its config fails by key name.
 */
import type { SafeTensor } from '../io/safetensors.ts';
import { halfArrayToFloat32 } from '../io/float16.ts';
import type { HostTensor } from '../nn/context.ts';
import type { TextTransformerParams } from '../nn/models/text-transformer.ts';
import type { VitParams } from '../nn/models/vit.ts';
import { CladeError } from '../util/errors.ts';
import type { OpenClipSpec } from './open-clip-config.ts';

/** How a checkpoint tensor becomes a clade leaf. */
type Layout =
  /** Same shape, same order. */
  | 'copy'
  /** PyTorch Linear weight [out, in] → clade [in, out]. */
  | 'transpose'
  /** Patch conv [D, C, p, p] → the patch linear [C·p·p, D] (rows in (c, dy, dx) order). */
  | 'conv'
  /** A 0-d scalar (`logit_scale`). */
  | 'scalar';

export interface KeyEntry {
  /** open_clip state-dict name. */
  readonly key: string;
  /** clade parameter path (`image.blocks.0.attn.qkv.w`), or `logitScale` / `logitBias`. */
  readonly path: string;
  /** Shape in the checkpoint. */
  readonly shape: readonly number[];
  readonly layout: Layout;
  /** Present only in some checkpoints (`logit_bias`). */
  readonly optional?: boolean;
}

/** An open_clip CLIP in clade's terms: the two towers' parameter trees and the logit scale (log s) and bias. */
export interface OpenClipParams {
  readonly image: VitParams<HostTensor>;
  readonly text: TextTransformerParams<HostTensor>;
  /** log of the logit scale s (open_clip stores log s; s = exp(logitScale)). */
  readonly logitScale: number;
  /** SigLIP-style logit bias, when the checkpoint has one. */
  readonly logitBias?: number;
}

function blockEntries(prefix: string, path: string, width: number, mlp: number, ls: boolean): KeyEntry[] {
  const e = (key: string, p: string, shape: number[], layout: Layout = 'copy'): KeyEntry => ({
    key: `${prefix}.${key}`,
    path: `${path}.${p}`,
    shape,
    layout,
  });
  return [
    e('ln_1.weight', 'ln1.gamma', [width]),
    e('ln_1.bias', 'ln1.beta', [width]),
    e('attn.in_proj_weight', 'attn.qkv.w', [3 * width, width], 'transpose'),
    e('attn.in_proj_bias', 'attn.qkv.b', [3 * width]),
    e('attn.out_proj.weight', 'attn.proj.w', [width, width], 'transpose'),
    e('attn.out_proj.bias', 'attn.proj.b', [width]),
    e('ln_2.weight', 'ln2.gamma', [width]),
    e('ln_2.bias', 'ln2.beta', [width]),
    e('mlp.c_fc.weight', 'fc1.w', [mlp, width], 'transpose'),
    e('mlp.c_fc.bias', 'fc1.b', [mlp]),
    e('mlp.c_proj.weight', 'fc2.w', [width, mlp], 'transpose'),
    e('mlp.c_proj.bias', 'fc2.b', [width]),
    ...(ls ? [e('ls_1.gamma', 'ls1', [width]), e('ls_2.gamma', 'ls2', [width])] : []),
  ];
}

/**
 * Every checkpoint tensor of an open_clip CLIP with this config, in open_clip's state-dict order.
 *
 * @example
 * keyMap(spec).find((e) => e.key === 'visual.proj'); // { path: 'image.head.w', shape: [1024, 768], layout: 'copy' }
 */
export function keyMap(spec: OpenClipSpec): KeyEntry[] {
  const v = spec.vision;
  const t = spec.text;
  const E = spec.embedDim;
  const tokens = (v.image[0] / v.patch) * (v.image[1] / v.patch);
  const tp = spec.customText ? 'text.' : '';
  const out: KeyEntry[] = [
    { key: 'logit_scale', path: 'logitScale', shape: [], layout: 'scalar' },
    { key: 'logit_bias', path: 'logitBias', shape: [], layout: 'scalar', optional: true },
    { key: 'visual.class_embedding', path: 'image.cls', shape: [v.width], layout: 'copy' },
    { key: 'visual.positional_embedding', path: 'image.pos', shape: [1 + tokens, v.width], layout: 'copy' },
    { key: 'visual.proj', path: 'image.head.w', shape: [v.width, E], layout: 'copy' },
    {
      key: 'visual.conv1.weight',
      path: 'image.patch.w',
      shape: [v.width, 3, v.patch, v.patch],
      layout: 'conv',
    },
  ];
  if (v.lnPre)
    out.push(
      { key: 'visual.ln_pre.weight', path: 'image.lnPre.gamma', shape: [v.width], layout: 'copy' },
      { key: 'visual.ln_pre.bias', path: 'image.lnPre.beta', shape: [v.width], layout: 'copy' },
    );
  for (let i = 0; i < v.layers; i++)
    out.push(
      ...blockEntries(`visual.transformer.resblocks.${i}`, `image.blocks.${i}`, v.width, v.mlp, v.layerScale),
    );
  out.push(
    { key: 'visual.ln_post.weight', path: 'image.ln.gamma', shape: [v.width], layout: 'copy' },
    { key: 'visual.ln_post.bias', path: 'image.ln.beta', shape: [v.width], layout: 'copy' },
    { key: `${tp}positional_embedding`, path: 'text.pos', shape: [t.context, t.width], layout: 'copy' },
  );
  if (t.proj === 'linear')
    out.push(
      ...(t.projBias
        ? [
            {
              key: `${tp}text_projection.weight`,
              path: 'text.proj.w',
              shape: [E, t.width],
              layout: 'transpose' as const,
            },
            { key: `${tp}text_projection.bias`, path: 'text.proj.b', shape: [E], layout: 'copy' as const },
          ]
        : [{ key: `${tp}text_projection`, path: 'text.proj', shape: [t.width, E], layout: 'copy' as const }]),
    );
  out.push({
    key: `${tp}token_embedding.weight`,
    path: 'text.token.table',
    shape: [t.vocab, t.width],
    layout: 'copy',
  });
  for (let i = 0; i < t.layers; i++)
    out.push(
      ...blockEntries(`${tp}transformer.resblocks.${i}`, `text.blocks.${i}`, t.width, t.mlp, t.layerScale),
    );
  out.push(
    { key: `${tp}ln_final.weight`, path: 'text.ln.gamma', shape: [t.width], layout: 'copy' },
    { key: `${tp}ln_final.bias`, path: 'text.ln.beta', shape: [t.width], layout: 'copy' },
  );
  return out;
}

/** Keys some checkpoints carry that hold no weights (OpenAI's JIT archives; HF position ids). */
const IGNORED = new Set([
  'input_resolution',
  'context_length',
  'vocab_size',
  'attn_mask',
  'visual.attn_mask',
]);

function toFloat32(t: SafeTensor, key: string, file?: string): Float32Array {
  switch (t.dtype) {
    case 'F32':
      return t.data as Float32Array;
    case 'F16':
      return halfArrayToFloat32(t.data as Uint16Array);
    case 'BF16': {
      const bits = t.data as Uint16Array;
      const u = new Uint32Array(bits.length);
      for (let i = 0; i < bits.length; i++) u[i] = bits[i] << 16;
      return new Float32Array(u.buffer);
    }
    case 'F64':
      return Float32Array.from(t.data as Float64Array);
    default:
      throw new CladeError(`expected a floating-point tensor, got ${t.dtype}`, { file, tensor: key });
  }
}

function transpose2(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
  return out;
}

/** Set `value` at a dotted path of a nested object, creating objects and arrays (numeric segments) on the way. */
function setPath(root: Record<string, unknown>, path: string, value: unknown): void {
  const segs = path.split('.');
  let o: Record<string, unknown> = root;
  segs.slice(0, -1).forEach((s, i) => {
    if (o[s] === undefined) o[s] = /^\d+$/.test(segs[i + 1]) ? [] : {};
    o = o[s] as Record<string, unknown>;
  });
  o[segs[segs.length - 1]] = value;
}

function getPath(root: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, s) => (o as Record<string, unknown> | undefined)?.[s], root);
}

/**
 * Map an open_clip state dict to clade parameter trees. Errors name the missing key, the key with the wrong shape, or
 * the keys left over that this config does not explain.
 *
 * @example
 * const params = fromOpenClipStateDict(readSafetensors('open_clip_model.safetensors'), spec);
 * Math.exp(params.logitScale); // 100 for CLIP
 */
export function fromOpenClipStateDict(
  stateDict: ReadonlyMap<string, SafeTensor>,
  spec: OpenClipSpec,
  file?: string,
): OpenClipParams {
  // DataParallel checkpoints prefix every key with `module.` (open_clip strips it the same way).
  const first = stateDict.keys().next().value;
  const sd =
    first?.startsWith('module.') === true
      ? new Map([...stateDict].map(([k, v]) => [k.replace(/^module\./, ''), v]))
      : stateDict;
  const root: Record<string, unknown> = {};
  const used = new Set<string>();
  const missing: string[] = [];
  const problems: string[] = [];
  for (const e of keyMap(spec)) {
    const t = sd.get(e.key);
    if (!t) {
      if (!e.optional) missing.push(e.key);
      continue;
    }
    used.add(e.key);
    if (t.shape.length !== e.shape.length || t.shape.some((s, i) => s !== e.shape[i])) {
      problems.push(`'${e.key}' has shape [${t.shape}], the config implies [${e.shape}]`);
      continue;
    }
    const data = toFloat32(t, e.key, file);
    if (e.layout === 'scalar') {
      setPath(root, e.path, data[0]);
      continue;
    }
    let host: HostTensor;
    if (e.layout === 'copy') host = { shape: [...e.shape], data };
    else if (e.layout === 'transpose')
      host = { shape: [e.shape[1], e.shape[0]], data: transpose2(data, e.shape[0], e.shape[1]) };
    else {
      const [d, c, p] = e.shape;
      host = { shape: [c * p * p, d], data: transpose2(data, d, c * p * p) };
    }
    setPath(root, e.path, host);
  }
  if (missing.length)
    problems.unshift(
      `missing ${missing.length === 1 ? 'key' : 'keys'} ${missing
        .slice(0, 8)
        .map((k) => `'${k}'`)
        .join(
          ', ',
        )}${missing.length > 8 ? ` and ${missing.length - 8} more` : ''} (expected by open_clip_config.json)`,
    );
  const extra = [...sd.keys()].filter((k) => !used.has(k) && !IGNORED.has(k) && !k.endsWith('position_ids'));
  if (extra.length)
    problems.push(
      `unexpected ${extra.length === 1 ? 'key' : 'keys'} ${extra
        .slice(0, 8)
        .map((k) => `'${k}'`)
        .join(
          ', ',
        )}${extra.length > 8 ? ` and ${extra.length - 8} more` : ''}: the checkpoint has parts the config does not describe (${hintFor(extra)})`,
    );
  if (problems.length)
    throw new CladeError(
      problems.length === 1
        ? problems[0]
        : `checkpoint does not match its config:\n  - ${problems.join('\n  - ')}`,
      { file },
    );
  return root as unknown as OpenClipParams;
}

function hintFor(extra: readonly string[]): string {
  if (extra.some((k) => k.includes('attn_pool'))) return 'an attentional pooler: not supported';
  if (extra.some((k) => k.startsWith('visual.trunk') || k.startsWith('visual.head')))
    return 'a timm image tower: not supported';
  if (extra.some((k) => k.startsWith('text.transformer.embeddings')))
    return 'a Hugging Face text tower: not supported';
  if (extra.some((k) => /^visual\.layer\d/.test(k))) return 'a ResNet image tower: not supported';
  if (extra.some((k) => k.startsWith('text_decoder'))) return 'a CoCa decoder: not supported';
  return 'check that open_clip_config.json belongs to these weights';
}

/**
 * The inverse: clade parameter trees → an open_clip state dict (float32), in open_clip's key order. Used to write
 * checkpoints of any configuration (tests, round trips) and by nothing that reads.
 *
 * @example
 * writeSafetensors('open_clip_model.safetensors', toOpenClipStateDict(params, spec));
 */
export function toOpenClipStateDict(params: OpenClipParams, spec: OpenClipSpec): Map<string, SafeTensor> {
  const out = new Map<string, SafeTensor>();
  for (const e of keyMap(spec)) {
    const v = getPath(params, e.path);
    if (v === undefined) {
      if (e.optional) continue;
      throw new CladeError(`parameter tree lacks '${e.path}' (open_clip '${e.key}')`);
    }
    let data: Float32Array;
    if (e.layout === 'scalar') data = Float32Array.of(v as number);
    else {
      const h = v as HostTensor;
      if (e.layout === 'copy') data = h.data;
      else if (e.layout === 'transpose') data = transpose2(h.data, e.shape[1], e.shape[0]);
      else data = transpose2(h.data, h.shape[0], h.shape[1]);
    }
    out.set(e.key, { dtype: 'F32', shape: [...e.shape], data });
  }
  return out;
}

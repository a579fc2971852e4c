/**
 * open_clip's two towers as clade models (`vit`, `textTransformer` configured from an `OpenClipSpec`) and their
 * eval-mode forward graphs for ONNX export: image [B, 3, H, W] → embedding [B, E]; text ids [B, T] int64 and the
 * end-of-text position eot [B] int64 → embedding [B, E] (not normalised, as open_clip's `encode_image/encode_text`).
 */
import type { TowerSpec } from '../train/recipe.ts';
import type { HostTensor } from '../nn/context.ts';
import {
  textTransformer,
  type TextTransformerConfig,
  type TextTransformerParams,
} from '../nn/models/text-transformer.ts';
import { vit, type VitConfig, type VitParams } from '../nn/models/vit.ts';
import type { Model } from '../nn/models/model.ts';
import type { Tensor } from '../engine/tensor.ts';
import { CladeError } from '../util/errors.ts';
import type { OpenClipSpec } from './open-clip-config.ts';

/** The clade ViT configuration of an open_clip image tower. */
export function imageTowerConfig(spec: OpenClipSpec): VitConfig {
  const v = spec.vision;
  return {
    image: v.image,
    patch: v.patch,
    channels: 3,
    width: v.width,
    depth: v.layers,
    heads: v.heads,
    mlp: v.mlp,
    outDim: spec.embedDim,
    pool: v.pool === 'avg' ? 'meanPatches' : 'cls',
    patchBias: false,
    headBias: false,
    lnPre: v.lnPre,
    lnAfterPool: v.lnAfterPool,
    activation: spec.activation,
    layerScale: v.layerScale ? 1e-5 : undefined,
    lnEps: v.lnEps,
  };
}

/** The clade text-transformer configuration of an open_clip text tower. */
export function textTowerConfig(spec: OpenClipSpec): TextTransformerConfig {
  const t = spec.text;
  return {
    vocab: t.vocab,
    context: t.context,
    width: t.width,
    depth: t.layers,
    heads: t.heads,
    mlp: t.mlp,
    outDim: t.proj === 'none' ? undefined : spec.embedDim,
    causal: t.causal,
    projBias: t.projBias,
    activation: spec.activation,
    layerScale: t.layerScale ? 1e-5 : undefined,
    lnEps: t.lnEps,
  };
}

export interface OpenClipTowers {
  readonly image: Model<VitParams<HostTensor>, VitConfig>;
  readonly text: Model<TextTransformerParams<HostTensor>, TextTransformerConfig, Tensor, [eot: Tensor]>;
}

/**
 * Both towers as clade models (init draws random weights in the checkpoint's shapes: benchmarks, tests).
 *
 * @example
 * const { image, text } = openClipTowers(spec);
 * const params = { image: image.init(rng), text: text.init(rng), logitScale: Math.log(100) };
 */
export function openClipTowers(spec: OpenClipSpec): OpenClipTowers {
  return { image: vit(imageTowerConfig(spec)), text: textTransformer(textTowerConfig(spec)) };
}

/**
 * Forward specs for `forwardOnnx`: one per tower, batch `batch`, parameters under `image.` / `text.`.
 *
 * @example
 * const bytes = forwardOnnx({ image: params.image }, towerSpecs(spec, 32).image);
 */
export function towerSpecs(spec: OpenClipSpec, batch: number): { image: TowerSpec; text: TowerSpec } {
  const { image, text } = openClipTowers(spec);
  const [h, w] = spec.vision.image;
  return {
    image: {
      inputs: { image: { shape: [batch, 3, h, w] } },
      forward: (p, x, ctx) => ({
        embedding: image.apply((p as unknown as { image: VitParams }).image, x.image, ctx),
      }),
    },
    text: {
      inputs: {
        ids: { shape: [batch, spec.text.context], dtype: 'int64' },
        eot: { shape: [batch], dtype: 'int64' },
      },
      forward: (p, x, ctx) => ({
        embedding: text.apply((p as unknown as { text: TextTransformerParams }).text, x.ids, ctx, x.eot),
      }),
    },
  };
}

/** ONNX files are protobuf messages, which cannot exceed 2 GiB; weights are stored inside the tower's graph. */
const ONNX_LIMIT = 2 ** 31 - 64 * 2 ** 20;

/**
 * Throw a clear error when a tower's float32 weights cannot fit in one ONNX file (ViT-H/14 and larger image
 * towers: clade does not write ONNX external-data files yet).
 */
export function checkTowerSize(params: unknown, tower: string, file?: string): void {
  let bytes = 0;
  const walk = (o: unknown): void => {
    if (!o || typeof o !== 'object') return;
    if ('data' in o && (o as { data: unknown }).data instanceof Float32Array) {
      bytes += (o as { data: Float32Array }).data.byteLength;
      return;
    }
    for (const v of Object.values(o)) walk(v);
  };
  walk(params);
  if (bytes > ONNX_LIMIT)
    throw new CladeError(
      `the ${tower} tower has ${(bytes / 2 ** 30).toFixed(2)} GiB of float32 weights, more than one ONNX file holds (2 GiB); models up to ViT-L/14 fit`,
      { file },
    );
}

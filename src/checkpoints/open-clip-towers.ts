/**
 * open_clip's two towers as clade models: the `vit` and `textTransformer` configurations of an `OpenClipSpec`
 * (src/pretrained/towers.ts traces them for inference, the recipes' open-clip-start part fine-tunes them).
 */
import type { Tensor } from '../engine/tensor.ts';
import type { HostTensor } from '../nn/context.ts';
import type { Model } from '../nn/models/model.ts';
import {
  textTransformer,
  type TextTransformerConfig,
  type TextTransformerParams,
} from '../nn/models/text-transformer.ts';
import { vit, type VitConfig, type VitParams } from '../nn/models/vit.ts';
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

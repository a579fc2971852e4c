/**
 * The towers of the image-text recipes: an image tower (clade's small CNN), a causal text tower over a tokenizer,
 * and the two composed as CLIP's image + text towers with an image projection. Each tower is a part with its own
 * parameter subtree (`image`, `imageProj`, `text`), its graph inputs, how to trace it, and its model.json block;
 * pretrained towers (an open_clip checkpoint, open-clip-start.ts) are other implementations of the same shapes.
 */
import type { Tokenizer } from '../../../data/tokenizers/tokenizer.ts';
import type { Tensor } from '../../../engine/tensor.ts';
import type { Ctx, HostTensor } from '../../../nn/context.ts';
import { linear, type LinearParams } from '../../../nn/linear.ts';
import {
  cifarEncoder,
  type CifarEncoder,
  type CifarEncoderParams,
} from '../../../nn/models/cifar-encoder.ts';
import {
  textTransformer,
  type TextTransformerConfig,
  type TextTransformerParams,
} from '../../../nn/models/text-transformer.ts';
import { cloneParams, type SymbolicParams } from '../../../nn/param-tree.ts';
import type { Rng } from '../../../util/rng.ts';
import type { InputSpec, TowerSpec } from '../../recipe.ts';
import type { ImagePreprocessing } from './image-text-data.ts';

export interface ImageTowerConfig {
  readonly imageChannels: readonly [number, number, number];
  readonly imageBatchNorm: boolean;
}

/**
 * An image tower: a trunk [N, 3, S, S] → [N, dim] with its parameter subtree, graph inputs and model.json block
 * (clade's small CNN here; a pretrained ViT in open-clip-start.ts).
 */
export interface ImageTower {
  readonly dim: number;
  init(rng: Rng): CifarEncoderParams<HostTensor>;
  apply(p: SymbolicParams<CifarEncoderParams<HostTensor>>, x: Tensor, ctx: Ctx): Tensor;
  inputs(n: number): Record<string, InputSpec>;
  describe(): Record<string, unknown>;
}

/** The image tower: clade's small CNN (optionally with BatchNorm), [N, 3, S, S] → [N, C₃]. */
export function imageTower(cfg: ImageTowerConfig, preprocessing: ImagePreprocessing): ImageTower {
  const encoder: CifarEncoder = cifarEncoder({
    arch: 'cnn',
    channels: cfg.imageChannels,
    batchNorm: cfg.imageBatchNorm,
  });
  const S = preprocessing.size;
  return {
    dim: encoder.dim,
    init: (rng: Rng) => encoder.init(rng),
    apply: encoder.apply,
    inputs: (n: number): Record<string, InputSpec> => ({ image: { shape: [n, 3, S, S] } }),
    describe: () => ({
      arch: 'smallCnn',
      channels: cfg.imageChannels,
      batchNorm: cfg.imageBatchNorm,
      preprocessing,
    }),
  };
}

export interface TextTowerConfig {
  readonly textWidth: number;
  readonly textDepth: number;
  readonly textHeads: number;
  readonly contextLength: number;
}

/** Token ids [N, T] and end-of-text positions [N] as int64 step / tower feeds. */
export type TextFeeds = {
  readonly ids: BigInt64Array;
  readonly eot: BigInt64Array;
};

/**
 * The text tower: CLIP's causal transformer over `tokenizer`'s ids, pooled at the end-of-text token, projected to
 * `outDim` when given ([N, T] ids → [N, outDim or width]).
 */
export function textTower(cfg: TextTowerConfig, tokenizer: Tokenizer, outDim?: number) {
  const config = {
    vocab: tokenizer.vocabSize,
    context: cfg.contextLength,
    width: cfg.textWidth,
    depth: cfg.textDepth,
    heads: cfg.textHeads,
    outDim,
  };
  return textTowerOf(config, tokenizer);
}

/**
 * A text tower of any text-transformer configuration (a pretrained one's: `weights` gives its initial
 * parameters, copied at every `init`).
 */
export function textTowerOf(
  config: TextTransformerConfig,
  tokenizer: Tokenizer,
  weights?: () => TextTransformerParams<HostTensor>,
) {
  const model = textTransformer(config);
  const T = config.context;
  return {
    tokenizer,
    dim: config.outDim ?? config.width,
    init: (rng: Rng) => (weights ? cloneParams(weights()) : model.init(rng)),
    apply: (p: SymbolicParams<TextTransformerParams<HostTensor>>, ids: Tensor, eot: Tensor, ctx: Ctx) =>
      model.apply(p, ids, ctx, eot),
    inputs: (n: number): Record<string, InputSpec> => ({
      ids: { shape: [n, T], dtype: 'int64' },
      eot: { shape: [n], dtype: 'int64' },
    }),
    tokenize(texts: readonly string[]): TextFeeds {
      const t = tokenizer.encode(texts);
      return { ids: BigInt64Array.from(t.ids, BigInt), eot: BigInt64Array.from(t.eotIndex, BigInt) };
    },
    describe: () => ({
      arch: 'textTransformer',
      width: config.width,
      depth: config.depth,
      heads: config.heads,
      context: T,
      pooling: 'end-of-text token',
      ...(weights ? { mlp: config.mlp, activation: config.activation, lnEps: config.lnEps } : {}),
    }),
  };
}
export type TextTower = ReturnType<typeof textTower>;

/** Pretrained CLIP towers (an open_clip checkpoint's): image trunk, its projection, projected text tower. */
export interface PretrainedClipTowers {
  readonly image: ImageTower;
  readonly text: TextTower;
  readonly imageProj: () => LinearParams<HostTensor>;
}

/** CLIP's towers: image trunk + projection to the shared embedding, and a projected text tower. */
export type ClipTowerParams = {
  readonly image: CifarEncoderParams<HostTensor>;
  readonly imageProj: LinearParams<HostTensor>;
  readonly text: TextTransformerParams<HostTensor>;
};
type Sym<P> = SymbolicParams<P>;

/**
 * The image and text towers of clip-taxonomy, clip-replay and multiview-tabular: `encodeImage` =
 * imageProj(image(x)) and `encodeText` = text(ids, eot), both [N, embedDim], unnormalised.
 *
 * @example
 * const t = clipTowers(cfg, data.preprocessing, tokenizer);
 * const params = { ...t.init(rng), logitScale };   // `image`, `imageProj`, `text`
 */
export function clipTowers(
  cfg: ImageTowerConfig & TextTowerConfig & { readonly embedDim: number },
  preprocessing: ImagePreprocessing,
  tokenizer: Tokenizer,
  pretrained?: PretrainedClipTowers | null,
) {
  const image = pretrained?.image ?? imageTower(cfg, preprocessing);
  const text = pretrained?.text ?? textTower(cfg, tokenizer, cfg.embedDim);
  const imageProj = (rng: Rng) =>
    pretrained ? cloneParams(pretrained.imageProj()) : linear.init(rng, image.dim, cfg.embedDim);
  const encodeImage = (p: Sym<Pick<ClipTowerParams, 'image' | 'imageProj'>>, x: Tensor, ctx: Ctx) =>
    linear.apply(p.imageProj, image.apply(p.image, x, ctx));
  const encodeText = (p: Sym<Pick<ClipTowerParams, 'text'>>, ids: Tensor, eot: Tensor, ctx: Ctx) =>
    text.apply(p.text, ids, eot, ctx);
  return {
    image,
    text,
    init: (rng: Rng): ClipTowerParams => ({
      image: image.init(rng.fork('image')),
      imageProj: imageProj(rng.fork('imageProj')),
      text: text.init(rng.fork('text')),
    }),
    encodeImage,
    encodeText,
    /** The exported towers: `image` → `embedding`, `text` → `embedding`. */
    towers: (n: number): Record<'image' | 'text', TowerSpec<Sym<ClipTowerParams>>> => ({
      image: {
        inputs: image.inputs(n),
        forward: (p, i, ctx) => ({ embedding: encodeImage(p, i.image, ctx) }),
      },
      text: {
        inputs: text.inputs(n),
        forward: (p, i, ctx) => ({ embedding: encodeText(p, i.ids, i.eot, ctx) }),
      },
    }),
    /** model.json's `image`, `text` and `tokenizer` blocks. */
    describe: () => ({
      image: { ...image.describe(), projection: cfg.embedDim },
      text: text.describe(),
      tokenizer: tokenizer.toJSON(),
    }),
  };
}
export type ClipTowers = ReturnType<typeof clipTowers>;

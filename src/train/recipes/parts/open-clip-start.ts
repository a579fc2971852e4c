/**
 * Starting an image-text recipe from an open_clip checkpoint folder (`open_clip_config.json` + safetensors, the
 * layout of BioCLIP, BioCLIP 2 and OpenCLIP releases): its towers as clade modules with the checkpoint's weights,
 * open_clip's CLIP BPE tokenizer, its preprocessing (image size, mean/std, interpolation), its logit scale, and the
 * layer layout the fine-tuning rules (fine-tune.ts) number. The recipe keeps its own loss, data and heads.
 */
import { clipTokenizer } from '../../../data/tokenizers/load-tokenizer.ts';
import type { Tokenizer } from '../../../data/tokenizers/tokenizer.ts';
import type { Ctx, HostTensor } from '../../../nn/context.ts';
import type { LinearParams } from '../../../nn/linear.ts';
import type { CifarEncoderParams } from '../../../nn/models/cifar-encoder.ts';
import type { TextTransformerParams } from '../../../nn/models/text-transformer.ts';
import { vit, type VitParams } from '../../../nn/models/vit.ts';
import { cloneParams, type SymbolicParams } from '../../../nn/param-tree.ts';
import type { Tensor } from '../../../engine/tensor.ts';
import type { OpenClipSpec } from '../../../checkpoints/open-clip-config.ts';
import {
  isOpenClipFolder,
  loadOpenClipFolder,
  type OpenClipModel,
} from '../../../checkpoints/open-clip-folder.ts';
import { readOpenClipConfig } from '../../../checkpoints/open-clip-config.ts';
import { imageTowerConfig, textTowerConfig } from '../../../checkpoints/open-clip-towers.ts';
import { CladeError } from '../../../util/errors.ts';
import type { ImagePreprocessing } from './image-text-data.ts';
import { textTowerOf, type ImageTower, type PretrainedClipTowers, type TextTower } from './towers.ts';
import type { TowerLayers } from './fine-tune.ts';
import type { ImageStats } from '../../../data/pipelines/spec.ts';

export interface OpenClipStart {
  readonly dir: string;
  readonly spec: OpenClipSpec;
  /** open_clip's tokenizer: the shipped CLIP BPE at the checkpoint's context length. */
  readonly tokenizer: Tokenizer;
  /** Side of the (square) images the image tower takes. */
  readonly size: number;
  /** The checkpoint's normalisation (`preprocess_cfg`). */
  readonly normalize: { readonly mean: readonly number[]; readonly std: readonly number[] };
  /** The checkpoint (read on first use, once per recipe). */
  model(): OpenClipModel;
  /** The ViT trunk (no projection: [N, 3, S, S] → [N, width]); `init` gives the checkpoint's weights. */
  imageTower(preprocessing: ImagePreprocessing): ImageTower;
  /** The text transformer, with (`[N, T] → [N, embedDim]`) or without (→ [N, width]) its projection. */
  textTower(projected: boolean): TextTower;
  /** The image trunk, `visual.proj` as `imageProj`, and the projected text tower (clip-taxonomy, clip-replay). */
  clipTowers(preprocessing: ImagePreprocessing): PretrainedClipTowers;
  /** log s of the checkpoint ([], as the recipes' `logitScale`). */
  logitScale(): HostTensor;
  /** The towers' layers for the fine-tuning rules (`heads`: the image projections that follow the trunk). */
  layers(heads?: readonly string[]): { image: TowerLayers; text: TowerLayers };
  /** model.json's record of where the weights came from. */
  describe(): Record<string, unknown>;
}

/**
 * The open_clip folder `from` names, or null when `from` is empty or a clade model directory. Only the config is
 * read here; the weights on the first `init`. `dataset` (the recipes that train the image tower) must be one
 * whose images are made at the model's size (synthetic-taxonomy), and the model's images square.
 *
 * @example
 * const start = openClipStart(cfg.from, cfg.dataset);
 * const t = clipTowers(cfg, data.preprocessing, tokenizer, start?.clipTowers(data.preprocessing));
 */
export function openClipStart(from: string, dataset?: string, withData = false): OpenClipStart | null {
  if (!from || !isOpenClipFolder(from)) return null;
  const spec = readOpenClipConfig(from);
  const [h, w] = spec.vision.image;
  if ((dataset !== undefined || withData) && h !== w)
    throw new CladeError(`fine-tuning takes square images; this model's image_size is [${h}, ${w}]`, {
      file: from,
      field: 'from',
    });
  // a data SPEC is read at the checkpoint's size and mean/std (openClipImage); the built-in CIFAR-100 is 32 px
  if (!withData && dataset !== undefined && dataset !== 'synthetic-taxonomy')
    throw new CladeError(
      `an open_clip model fine-tunes on synthetic-taxonomy (rendered at its ${h} px with its mean/std); dataset '${dataset}' is not supported with it yet`,
      { field: 'dataset' },
    );
  let model: OpenClipModel | null = null;
  const load = () => (model ??= loadOpenClipFolder(from));
  const tokenizer = clipTokenizer(spec.text.context);
  const trunk = vit({ ...imageTowerConfig(spec), outDim: undefined });
  const pre = spec.preprocess;
  const imageTower = (preprocessing: ImagePreprocessing): ImageTower => ({
    dim: spec.vision.width,
    init: () => {
      const { head: _, ...rest } = load().params.image;
      return cloneParams(rest as VitParams<HostTensor>);
    },
    apply: (p: SymbolicParams<CifarEncoderParams<HostTensor>>, x: Tensor, ctx: Ctx) =>
      trunk.apply(p as unknown as SymbolicParams<VitParams<HostTensor>>, x, ctx),
    inputs: (n) => ({ image: { shape: [n, 3, h, h] } }),
    describe: () => ({
      arch: 'vit',
      ...imageTowerConfig(spec),
      outDim: undefined,
      preprocessing: { ...preprocessing, interpolation: pre.interpolation, resizeMode: pre.resizeMode },
    }),
  });
  const textTower = (projected: boolean): TextTower => {
    const config = textTowerConfig(spec);
    return textTowerOf(projected ? config : { ...config, outDim: undefined }, tokenizer, () => {
      const text = load().params.text;
      if (projected) return text;
      const { proj: _, ...rest } = text;
      return rest as TextTransformerParams<HostTensor>;
    });
  };
  return {
    dir: from,
    spec,
    tokenizer,
    size: h,
    normalize: { mean: [...pre.mean], std: [...pre.std] },
    model: load,
    imageTower,
    textTower,
    clipTowers: (preprocessing) => ({
      image: imageTower(preprocessing),
      text: textTower(true),
      imageProj: (): LinearParams<HostTensor> => {
        const head = load().params.image.head;
        if (!head)
          throw new CladeError('the checkpoint has no image projection (visual.proj)', { file: from });
        return { w: head.w };
      },
    }),
    logitScale: () => ({ shape: [], data: Float32Array.of(load().params.logitScale) }),
    layers: (heads = []) => ({
      image: { prefix: 'image', depth: spec.vision.layers, heads },
      text: { prefix: 'text', depth: spec.text.layers },
    }),
    describe: () => ({ from, format: 'open_clip', sha256: load().sha256 }),
  };
}

/**
 * `from` of a recipe that starts only from open_clip folders (clip-taxonomy, clip-replay): the folder, or null
 * for fresh towers; anything else is an error naming `from`.
 */
export function requireOpenClipFrom(
  from: string,
  recipe: string,
  dataset: string,
  spec?: unknown,
): OpenClipStart | null {
  if (!from) return null;
  const start = openClipStart(from, dataset, spec !== undefined);
  if (!start)
    throw new CladeError(
      `${recipe} starts from an open_clip checkpoint folder (open_clip_config.json + open_clip_model.safetensors); ${from} is not one`,
      { field: 'from', file: from },
    );
  return start;
}

/**
 * What a data SPEC needs to feed an open_clip checkpoint: its image size and mean/std (`{}` when `from` is not
 * an open_clip folder).
 *
 * @example
 * const data = await specImageTextData({ ...cfg, ...openClipImage(cfg.from) });
 */
export function openClipImage(from: string): { size?: number; normalize?: ImageStats } {
  if (!from || !isOpenClipFolder(from)) return {};
  const spec = readOpenClipConfig(from);
  return { size: spec.vision.image[0], normalize: { mean: spec.preprocess.mean, std: spec.preprocess.std } };
}

/** A recipe config with what the checkpoint fixes: image size, embedding width and context length. */
export function startConfig<C extends { readonly size: number; readonly contextLength: number }>(
  cfg: C,
  start: OpenClipStart | null,
): C {
  if (!start) return cfg;
  const dims = 'embedDim' in cfg ? { embedDim: start.spec.embedDim } : {};
  return { ...cfg, ...dims, size: start.size, contextLength: start.spec.text.context };
}

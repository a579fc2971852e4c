import { accuracy, arange, cosineMatrix, l2normalize } from '../../engine/functional/index.ts';
import type { Tensor } from '../../engine/tensor.ts';
import { filled, type Ctx, type HostTensor } from '../../nn/context.ts';
import { linear } from '../../nn/linear.ts';
import type { CifarEncoderParams } from '../../nn/models/cifar-encoder.ts';
import {
  CLIPIN_PAPER_DIMS,
  initClipinHeads,
  ncProject,
  predict,
  type ClipinHeadParams,
} from '../../nn/models/clipin-heads.ts';
import type { TextTransformerParams } from '../../nn/models/text-transformer.ts';
import { cloneParams, type SymbolicParams } from '../../nn/param-tree.ts';
import { clipinLoss } from '../../objectives/index.ts';
import { decays } from '../../optim/types.ts';
import type { Recipe, TowerSpec } from '../recipe.ts';
import { captionFeed } from './parts/caption-feed.ts';
import { clampLogitScale, clipAdamw, imageTextDescription, logitScaleInit } from './parts/clip-objective.ts';
import { captionTokenizer, imageTextData } from './parts/image-text-data.ts';
import { andTrainable, cladeTowerLayers, fineTuneRules } from './parts/fine-tune.ts';
import { specHooks, type SpecImageTextData } from './parts/spec-data.ts';
import { configFrom, loadSubtree, readModelSource } from './parts/model-source.ts';
import { openClipStart, startConfig } from './parts/open-clip-start.ts';
import { emaTarget } from './parts/momentum-target.ts';
import { imageTower, textTower, type ImageTower, type TextTower } from './parts/towers.ts';
import { clipinScores, zeroShotEvaluation } from './parts/zero-shot.ts';
import { clipinSchema, type ClipinConfig, type ClipinOptions } from './schemas.ts';

/** Online modules that have target copies (§D.2: encoders, pre-projectors, non-contrastive projectors). */
export const TARGET_KEYS = ['image', 'text', 'gI', 'gT', 'pI', 'pT'] as const;
/** λ_self, λ_comb are clamped to [0, 20] after every step (§D.3). */
export const CLIPIN_LAMBDA_RANGE: readonly [number, number] = [0, 20];

type ClipinOnline = {
  readonly image: CifarEncoderParams<HostTensor>;
  readonly text: TextTransformerParams<HostTensor>;
  readonly logitScale: HostTensor;
  readonly lambdaSelf: HostTensor;
  readonly lambdaComb: HostTensor;
} & ClipinHeadParams<HostTensor>;
type ClipinTarget = Pick<ClipinOnline, (typeof TARGET_KEYS)[number]>;
export type ClipinParams = ClipinOnline & { readonly target: ClipinTarget };
type Sym<P> = SymbolicParams<P>;

/** CLIPin's two zero-shot scores (§D.7), as model.json describes them. */
const ZERO_SHOT_MODES = {
  contrastive: 'exp(logitScale) · <n(image.embedding), n(text.embedding)>',
  nonContrastive: '<image.target, text.interPred> (y_I · P_T^x)',
};

/**
 * The target as a copy of the online modules (`TARGET_KEYS`, BatchNorm buffers included) — at construction and,
 * unlike CLIPin's released code, again after loading weights (§D.4: "clade re-syncs the target").
 * Returns a new tree; `params` is not modified.
 */
export function syncTarget<P extends ClipinOnline>(params: P): P & { readonly target: ClipinTarget } {
  const target = Object.fromEntries(TARGET_KEYS.map((k) => [k, cloneParams(params[k])])) as ClipinTarget;
  return { ...params, target };
}

/** CLIPin's forward pieces over the towers: pre-projected features h, the exported towers, the loss terms. */
function clipinModel(cfg: ClipinConfig, image: ImageTower, text: TextTower) {
  /** h_I = g_I(f_I(x)) [N, pre] and h_T = g_T(f_T(ids)) from the online or the target modules. */
  const hImage = (m: Sym<Pick<ClipinOnline, 'image' | 'gI'>>, x: Tensor, ctx: Ctx) =>
    linear.apply(m.gI, image.apply(m.image, x, ctx));
  const hText = (m: Sym<Pick<ClipinOnline, 'text' | 'gT'>>, ids: Tensor, eot: Tensor, ctx: Ctx) =>
    linear.apply(m.gT, text.apply(m.text, ids, eot, ctx));
  const towers = (n: number): Record<'image' | 'text', TowerSpec<Sym<ClipinParams>>> => ({
    image: {
      inputs: image.inputs(n),
      forward: (p, i, ctx) => ({
        embedding: linear.apply(p.cI, hImage(p, i.image, ctx)),
        target: l2normalize(ncProject(p.target.pI, hImage(p.target, i.image, ctx), ctx)),
      }),
    },
    text: {
      inputs: text.inputs(n),
      forward: (p, i, ctx) => {
        const h = hText(p, i.ids, i.eot, ctx);
        return { embedding: linear.apply(p.cT, h), interPred: predict(p.qTx, ncProject(p.pT, h, ctx), ctx) };
      },
    },
  });
  /** CLIPin's loss inputs (§D.3): view 1 online, view 2 target, the caption shared by both text paths (§D.5). */
  const outputs = (p: Sym<ClipinParams>, b: Readonly<Record<string, Tensor>>, ctx: Ctx) => {
    const hI = hImage(p, b.view1, ctx); // [B, pre]
    const hT = hText(p, b.ids, b.eot, ctx);
    const zI = ncProject(p.pI, hI, ctx); // [B, nc]
    const zT = ncProject(p.pT, hT, ctx);
    const tgt = emaTarget(p.target, p, cfg.momentum, ctx); // EMA first, then the target forward (§D.4)
    const sgNorm = (t: Tensor) => l2normalize(t).stopGradient();
    const yI = sgNorm(ncProject(tgt.pI, hImage(tgt, b.view2, ctx), ctx));
    const yT = sgNorm(ncProject(tgt.pT, hText(tgt, b.ids, b.eot, ctx), ctx));
    const eI = l2normalize(linear.apply(p.cI, hI)); // [B, clip]
    const eT = l2normalize(linear.apply(p.cT, hT));
    const pIx = predict(p.qIx, zI, ctx);
    const pTx = predict(p.qTx, zT, ctx);
    const pIs = predict(p.qIs, zI, ctx);
    const pTs = predict(p.qTs, zT, ctx);
    return { eI, eT, yI, yT, pIx, pTx, pIs, pTs };
  };
  return { towers, outputs };
}

/**
 * clip-taxonomy's image and text towers with the CLIPin plug-in (Yang et al. 2025,
 * https://arxiv.org/abs/2508.06434; docs/methods.md §D): L = L_inter + λ_self·L_intra + λ_comb·L_CLIP, two image views,
 * an EMA target (m 0.95) updated in-graph, λs clamped to [0, 20] and the logit scale to [0, ln 100] after every
 * step. Towers: `image` → `embedding` e_I and `target` y_I; `text` → `embedding` e_T and `interPred` P_T^x.
 * `zeroShot` / `periodicEval`: accuracy by rank in CLIPin's two scoring modes (§D.7). With `from`, the towers,
 * their dims and the tokenizer come from a clip-taxonomy / clip-replay model directory or an open_clip folder
 * (its ViT trunk and text transformer without their projections, CLIP BPE, preprocessing), with the fine-tuning
 * options of parts/fine-tune.ts. With `data`, as clip-taxonomy.
 */
export function clipin(options: ClipinOptions = {}, spec?: SpecImageTextData) {
  let cfg = clipinSchema.parse(options);
  const start = openClipStart(cfg.from, cfg.dataset, spec !== undefined);
  const src =
    cfg.from && !start ? readModelSource(cfg.from, ['clip-taxonomy', 'clip-replay'], 'clipin') : null;
  if (src) {
    const dims = configFrom(src, ['imageChannels', 'textWidth', 'textDepth', 'textHeads', 'contextLength']);
    cfg = clipinSchema.parse({ ...cfg, ...dims, imageBatchNorm: src.config.imageBatchNorm ?? false });
  }
  cfg = startConfig(cfg, start);
  const data = spec ?? imageTextData({ ...cfg, normalize: start?.normalize });
  const tokenizer = start?.tokenizer ?? src?.tokenizer ?? captionTokenizer(cfg.contextLength, data);
  const image = start?.imageTower(data.preprocessing) ?? imageTower(cfg, data.preprocessing);
  const text = start?.textTower(false) ?? textTower(cfg, tokenizer); // no projection: g_T follows
  const ft = fineTuneRules(cfg, start?.layers() ?? (src ? cladeTowerLayers(cfg) : {}));
  const model = clipinModel(cfg, image, text);
  const B = cfg.batchSize;
  const captions = captionFeed(cfg, B, text.tokenize);
  const zs = zeroShotEvaluation({
    towers: model.towers,
    tokenizer,
    data,
    modes: {
      contrastive: (q, t) => clipinScores('contrastive', q.image.embedding, t.embedding, cfg.clipDim),
      nonContrastive: (q, t) => clipinScores('nonContrastive', q.image.target, t.interPred, cfg.ncDim),
    },
  });
  const isLambda = (path: string) => path === 'lambdaSelf' || path === 'lambdaComb';
  const load = <P extends ClipinOnline[keyof ClipinTarget]>(fresh: P, key: string) =>
    src ? loadSubtree(fresh, src, key) : fresh;

  const recipe = {
    name: 'clipin',
    config: cfg,
    tokenizer,
    data,
    batchSize: B,
    // The target starts as a copy of the online network, also after loading weights (§D.4).
    init: (rng) =>
      syncTarget({
        image: load(image.init(rng.fork('image')), 'image'),
        text: load(text.init(rng.fork('text')), 'text'), // a clip-taxonomy text.proj is not used
        ...initClipinHeads(rng.fork('heads'), image.dim, text.dim, cfg),
        logitScale: logitScaleInit(),
        lambdaSelf: filled([], cfg.lambdaInit),
        lambdaComb: filled([], cfg.lambdaInit),
      }),
    batchSpec: { view1: image.inputs(B).image, view2: image.inputs(B).image, ...text.inputs(B) },
    loss: (p, b, ctx) => {
      const o = model.outputs(p, b, ctx);
      const { loss, inter, intra, clip } = clipinLoss(o, p.logitScale, p.lambdaSelf, p.lambdaComb);
      const scalar = (t: Tensor) => t.reshape([1]).sum();
      const [lambdaSelf, lambdaComb, logitScale] = [p.lambdaSelf, p.lambdaComb, p.logitScale].map(scalar);
      const batchAcc = accuracy(cosineMatrix(o.eI, o.eT), arange(B));
      return { loss, metrics: { inter, intra, clip, lambdaSelf, lambdaComb, logitScale, batchAcc } };
    },
    // β (0.9, 0.98), ε 1e-6, weight decay 0.001 (CLIPin code, §D.6), which also decays λ_self and λ_comb (as the
    // code does); norms, biases and the logit scale are not decayed.
    optimizer: clipAdamw(cfg.weightDecay),
    trainable: andTrainable(
      (path) => !path.startsWith('target.') && (cfg.learnLambdas || !isLambda(path)),
      ft,
    )!,
    lrScale: ft.lrScale,
    decay: (path, shape) => isLambda(path) || decays(path, shape),
    clamp: (path) => (isLambda(path) ? CLIPIN_LAMBDA_RANGE : clampLogitScale(path)),
    pipeline: data.train(2),
    feeds: (batch, step) => ({ view1: batch.views[0], view2: batch.views[1], ...captions(batch, step) }),
    towers: model.towers,
    describe: () =>
      imageTextDescription('clipin', cfg, data, {
        image: image.describe(),
        text: text.describe(),
        tokenizer: tokenizer.toJSON(),
        embedDim: cfg.clipDim,
        paperDims: CLIPIN_PAPER_DIMS,
        zeroShot: ZERO_SHOT_MODES,
        ...(start ? { pretrained: start.describe() } : {}),
        ...(cfg.from ? { fineTune: ft.description } : {}),
      }),
    /** Zero-shot accuracy by rank, `{ 'contrastive/species': …, 'nonContrastive/kingdom': … }`. */
    zeroShot: (params: ClipinParams, count?: number, split?: string) => zs.zeroShot(params, count, split),
    zeroShotImages: (params, image, labels) => zs.zeroShotImages(params, image, labels),
    periodicEval: (params) => zs.zeroShot(params),
    ...specHooks<ClipinParams>(spec?.source, {
      towers: model.towers,
      tower: 'image',
      eval: data.evalSource,
      geometry: cfg.evalGeometry,
      zeroShot: (params, outputs, labels) => zs.zeroShotImages(params, outputs, labels),
    }),
  } satisfies Recipe<ClipinParams> & Record<string, unknown>;
  return recipe;
}
export type ClipinRecipe = ReturnType<typeof clipin>;
export { clipinScores };

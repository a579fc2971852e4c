import { TEXT_TYPES } from '../../data/taxonomy/text-types.ts';
import { pipelineSource } from '../../data/pipelines/index.ts';
import type { HostTensor } from '../../nn/context.ts';
import type { LinearParams } from '../../nn/linear.ts';
import { cloneParams } from '../../nn/param-tree.ts';
import { replayLoss } from '../../objectives/index.ts';
import type { Recipe } from '../recipe.ts';
import { captionFeed } from './parts/caption-feed.ts';
import { clampLogitScale, clipAdamw, imageTextDescription, logitScaleInit } from './parts/clip-objective.ts';
import { fineTuneRules } from './parts/fine-tune.ts';
import { captionTokenizer } from './parts/image-text-data.ts';
import { requireOpenClipFrom, startConfig } from './parts/open-clip-start.ts';
import { specHooks, type SpecImageTextData } from './parts/spec-data.ts';
import { syntheticData } from './parts/synthetic-data.ts';
import { clipTowers, type ClipTowerParams } from './parts/towers.ts';
import { clipinScores, zeroShotEvaluation } from './parts/zero-shot.ts';
import { clipReplaySchema, type ClipReplayOptions } from './schemas.ts';

export type ClipReplayParams = ClipTowerParams & {
  readonly logitScale: HostTensor;
  /** The replay rows' visual head (BioCLIP 2's second projection). */
  readonly continualProj: LinearParams<HostTensor>;
};

/** Give a parameter tree lacking `continualProj` one copied from `imageProj` (BioCLIP 2's rule, §A.4). */
export function withContinualProj<P extends Omit<ClipReplayParams, 'continualProj'>>(
  params: P,
): P & Pick<ClipReplayParams, 'continualProj'> {
  if ('continualProj' in params) return params as P & Pick<ClipReplayParams, 'continualProj'>;
  return { ...params, continualProj: cloneParams(params.imageProj) };
}

/**
 * clip-taxonomy with BioCLIP 2's experience replay (docs/methods.md §A.4) on synthetic-taxonomy: each step's biology
 * batch is followed by a replay batch from a second stream; the two share the image trunk, the text tower and one
 * logit scale, but the biology rows go through `imageProj` and the replay rows through a second visual head
 * `continualProj` (initialised as a copy of `imageProj`). L = L_clip(bio) + L_clip(replay), each with in-subset
 * negatives only. Inference (the exported image tower) uses the biology head. With `data` the biology batch comes
 * from that SPEC and the replay batch from `replayData` (`replaySpecData`); `periodicEval` is kNN and zero-shot by
 * rank on the data's validation split (on synthetic-taxonomy: zero-shot by rank on its `val` split, as clip-taxonomy).
 */
export function clipReplay(options: ClipReplayOptions = {}, spec?: SpecImageTextData) {
  const parsed = clipReplaySchema.parse(options);
  const start = requireOpenClipFrom(parsed.from, 'clip-replay', 'synthetic-taxonomy', spec);
  const cfg = startConfig(parsed, start);
  const data = spec ?? syntheticData({ ...cfg, normalize: start?.normalize });
  const tokenizer =
    start?.tokenizer ??
    (spec
      ? captionTokenizer(cfg.contextLength, data)
      : captionTokenizer(
          cfg.contextLength,
          data,
          syntheticData({ seed: cfg.replaySeed, perSpecies: 1, size: cfg.size }),
        ));
  const t = clipTowers(cfg, data.preprocessing, tokenizer, start?.clipTowers(data.preprocessing));
  const ft = fineTuneRules(cfg, start?.layers(['imageProj', 'continualProj']) ?? {});
  const B = cfg.batchSize;
  const captions = captionFeed(cfg, B, t.text.tokenize);
  const zs = zeroShotEvaluation({
    towers: t.towers,
    tokenizer,
    data,
    modes: {
      zeroshot: (q, txt) => clipinScores('contrastive', q.image.embedding, txt.embedding, cfg.embedDim),
    },
  });
  const replayCaption = TEXT_TYPES.length; // the replay sample's caption follows the five biology text types

  const recipe = {
    name: 'clip-replay',
    config: cfg,
    tokenizer,
    data,
    batchSize: B,
    init: (rng) => withContinualProj({ ...t.init(rng), logitScale: start?.logitScale() ?? logitScaleInit() }),
    batchSpec: {
      ...t.image.inputs(B),
      ...t.text.inputs(B),
      replayImage: t.image.inputs(B).image,
      replayIds: t.text.inputs(B).ids,
      replayEot: t.text.inputs(B).eot,
    },
    loss: (p, b, ctx) => {
      const replayHead = { image: p.image, imageProj: p.continualProj };
      const r = replayLoss(
        t.encodeImage(p, b.image, ctx),
        t.encodeText(p, b.ids, b.eot, ctx),
        t.encodeImage(replayHead, b.replayImage, ctx),
        t.encodeText(p, b.replayIds, b.replayEot, ctx),
        p.logitScale,
      );
      return { loss: r.loss, metrics: { bio: r.bio, replay: r.replay } };
    },
    optimizer: clipAdamw(cfg.weightDecay), // as clip-taxonomy
    clamp: clampLogitScale,
    trainable: ft.trainable,
    lrScale: ft.lrScale,
    pipeline: spec
      ? spec.train(1)
      : pipelineSource('synthetic-replay', {
          ...(start ? { normalize: start.normalize } : {}),
          seed: cfg.seed,
          perSpecies: cfg.perSpecies,
          size: cfg.size,
          split: 'train',
          mode: 'train',
          replaySeed: cfg.replaySeed,
          replayPerSpecies: cfg.replayPerSpecies,
          replayTextType: TEXT_TYPES.indexOf(cfg.replayTextType),
        }),
    feeds: (batch, step) => {
      const r = t.text.tokenize(batch.captions!.map((c) => c[replayCaption]));
      return {
        image: batch.views[0],
        ...captions(batch, step),
        replayImage: batch.views[1],
        replayIds: r.ids,
        replayEot: r.eot,
      };
    },
    towers: t.towers,
    describe: () => {
      const blocks = t.describe();
      const image = { ...blocks.image, head: 'imageProj (biology); continualProj is training-only' };
      const pretrained = start ? { pretrained: start.describe(), fineTune: ft.description } : {};
      return imageTextDescription('clip-replay', cfg, data, {
        ...blocks,
        image,
        embedDim: cfg.embedDim,
        ...pretrained,
      });
    },
    periodicEval: (params) => zs.zeroShot(params, 5, 'val'),
    ...specHooks<ClipReplayParams>(spec?.source, {
      towers: t.towers,
      tower: 'image',
      eval: data.evalSource,
      geometry: cfg.evalGeometry,
      zeroShot: (params, outputs, labels) => zs.zeroShotImages(params, outputs, labels),
    }),
  } satisfies Recipe<ClipReplayParams> & Record<string, unknown>;
  return recipe;
}
export type ClipReplayRecipe = ReturnType<typeof clipReplay>;

import { accuracy, arange, cosineMatrix } from '../../engine/functional/index.ts';
import type { HostTensor } from '../../nn/context.ts';
import { CLIP_LOGIT_SCALE_INIT, hierarchicalLoss } from '../../objectives/index.ts';
import type { Recipe } from '../recipe.ts';
import { captionFeed } from './parts/caption-feed.ts';
import { clampLogitScale, clipAdamw, imageTextDescription, logitScaleInit } from './parts/clip-objective.ts';
import { fineTuneRules } from './parts/fine-tune.ts';
import { captionTokenizer, imageTextData } from './parts/image-text-data.ts';
import { requireOpenClipFrom, startConfig } from './parts/open-clip-start.ts';
import { specHooks, type SpecImageTextData } from './parts/spec-data.ts';
import { clipTowers, type ClipTowerParams } from './parts/towers.ts';
import { clipinScores, zeroShotEvaluation } from './parts/zero-shot.ts';
import { clipTaxonomySchema, type ClipTaxonomyOptions } from './schemas.ts';

export type ClipTaxonomyParams = ClipTowerParams & { readonly logitScale: HostTensor };

/**
 * CLIP-style training with BioCLIP 2's taxonomic text supervision (docs/methods.md §A.2–A.3) on synthetic-taxonomy or
 * CIFAR-100 (superclass → class): the image and text towers, captions of one text type drawn per batch, symmetric
 * InfoNCE with a learnable logit scale, and clade's optional per-rank SupCon on the image embeddings
 * (`rankWeights`). `periodicEval`: zero-shot accuracy by rank (synthetic: a held-out `val` split of 5 images per
 * species; CIFAR-100: the first 1,000 test records). With `from` an open_clip folder, its towers, tokenizer,
 * preprocessing and logit scale, with the fine-tuning options (locks, layer decay) of parts/fine-tune.ts.
 *
 * With `data` (a SPEC, opened by `specImageTextData`) it trains on that data and `periodicEval` is kNN and
 * zero-shot by rank on its validation split.
 *
 * @example
 * const recipe = clipTaxonomy({ perSpecies: 20, embedDim: 32 });
 */
export function clipTaxonomy(options: ClipTaxonomyOptions = {}, spec?: SpecImageTextData) {
  const parsed = clipTaxonomySchema.parse(options);
  const start = requireOpenClipFrom(parsed.from, 'clip-taxonomy', parsed.dataset, spec);
  const cfg = startConfig(parsed, start);
  const data = spec ?? imageTextData({ ...cfg, normalize: start?.normalize });
  const tokenizer = start?.tokenizer ?? captionTokenizer(cfg.contextLength, data);
  const t = clipTowers(cfg, data.preprocessing, tokenizer, start?.clipTowers(data.preprocessing));
  const ft = fineTuneRules(cfg, start?.layers(['imageProj']) ?? {});
  const B = cfg.batchSize;
  const captions = captionFeed(cfg, B, t.text.tokenize);
  const ranks = cfg.rankWeights.map((weight, r) => ({
    key: `rank${r}`,
    weight,
    of: data.taxonomy.labelsAt(r),
  }));
  const zs = zeroShotEvaluation({
    towers: t.towers,
    tokenizer,
    data,
    modes: {
      zeroshot: (q, txt) => clipinScores('contrastive', q.image.embedding, txt.embedding, cfg.embedDim),
    },
  });

  const recipe = {
    name: 'clip-taxonomy',
    config: cfg,
    tokenizer,
    data,
    batchSize: B,
    init: (rng) => ({ ...t.init(rng), logitScale: start?.logitScale() ?? logitScaleInit() }),
    batchSpec: {
      ...t.image.inputs(B),
      ...t.text.inputs(B),
      ...Object.fromEntries(ranks.map((r) => [r.key, { shape: [B], dtype: 'int64' as const }])),
    },
    loss: (p, b, ctx) => {
      const img = t.encodeImage(p, b.image, ctx); // [B, D]
      const txt = t.encodeText(p, b.ids, b.eot, ctx);
      const perRank = ranks.map((r) => ({ labels: b[r.key], weight: r.weight }));
      const { loss, clip } = hierarchicalLoss(img, txt, p.logitScale, perRank);
      const batchAcc = accuracy(cosineMatrix(img, txt), arange(B));
      return { loss, metrics: { clip, logitScale: p.logitScale.reshape([1]).sum(), batchAcc } };
    },
    optimizer: clipAdamw(cfg.weightDecay),
    clamp: clampLogitScale,
    trainable: ft.trainable,
    lrScale: ft.lrScale,
    pipeline: data.train(1),
    feeds: (batch, step) => ({
      image: batch.views[0],
      ...captions(batch, step),
      ...Object.fromEntries(
        ranks.map((r) => [r.key, BigInt64Array.from(batch.labels!, (k) => BigInt(r.of[k]))]),
      ),
    }),
    towers: t.towers,
    describe: () =>
      imageTextDescription('clip-taxonomy', cfg, data, {
        ...t.describe(),
        embedDim: cfg.embedDim,
        logitScaleInit: CLIP_LOGIT_SCALE_INIT,
        ...(start ? { pretrained: start.describe(), fineTune: ft.description } : {}),
      }),
    zeroShotImages: (params, image, labels) => zs.zeroShotImages(params, image, labels),
    periodicEval: (params) => zs.zeroShot(params, 5, 'val'),
    ...specHooks<ClipTaxonomyParams>(spec?.source, {
      towers: t.towers,
      tower: 'image',
      eval: data.evalSource,
      geometry: cfg.evalGeometry,
      zeroShot: (params, outputs, labels) => zs.zeroShotImages(params, outputs, labels),
    }),
  } satisfies Recipe<ClipTaxonomyParams> & Record<string, unknown>;
  return recipe;
}
export type ClipTaxonomyRecipe = ReturnType<typeof clipTaxonomy>;

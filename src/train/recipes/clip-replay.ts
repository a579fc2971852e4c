import { syntheticTaxonomy } from '../../data/synthetic/synthetic-taxonomy.ts';
import { TEXT_TYPES, type TextType } from '../../data/taxonomy/text-types.ts';
import { textTypeSchedule } from '../../data/taxonomy/text-type-schedule.ts';
import { WordTokenizer } from '../../data/tokenizers/word-tokenizer.ts';
import type { Tensor } from '../../engine/index.ts';
import { filled, type Ctx, type HostTensor, type Params, type SymParams } from '../../nn/context.ts';
import { linear } from '../../nn/linear.ts';
import { smallCnn } from '../../nn/models/small-cnn.ts';
import { textTransformer } from '../../nn/models/text-transformer.ts';
import { CLIP_LOGIT_SCALE_INIT, CLIP_LOGIT_SCALE_MAX, replayLoss } from '../../objectives/index.ts';
import { adamw } from '../../optim/adamw.ts';
import { CLIP_TAXONOMY_DEFAULTS, type ClipTaxonomyConfig } from './clip-taxonomy.ts';
import { pipelineSource } from '../../data/pipelines/index.ts';
import type { Recipe } from '../recipe.ts';

export interface ClipReplayConfig extends Omit<ClipTaxonomyConfig, 'rankWeights'> {
  /** Seed of the replay stream's synthetic-taxonomy (a different tree of species than the biology data's). */
  readonly replaySeed: number;
  readonly replayPerSpecies: number;
  /** Replay captions: one text type (clade's stand-in for LAION's raw text). */
  readonly replayTextType: TextType;
}

export const CLIP_REPLAY_DEFAULTS: ClipReplayConfig = {
  ...(({ rankWeights: _, ...rest }) => rest)(CLIP_TAXONOMY_DEFAULTS),
  replaySeed: 1000, // clade's: any seed other than the biology data's
  replayPerSpecies: 20,
  replayTextType: 'com', // clade's: plain common-name captions, the least taxonomic text type
};

/** Give a parameter tree lacking `continualProj` one copied from `imageProj` (BioCLIP 2's rule, §A.4). */
export function withContinualProj(params: Params): Params {
  const p = params as Record<string, Params>;
  if (p.continualProj) return params;
  const proj = p.imageProj as Record<string, HostTensor>;
  const copy = Object.fromEntries(
    Object.entries(proj).map(([k, v]) => [k, { shape: [...v.shape], data: v.data.slice() }]),
  );
  return { ...p, continualProj: copy } as Params;
}

export interface ClipReplayRecipe extends Recipe {
  readonly config: ClipReplayConfig;
  readonly tokenizer: WordTokenizer;
}

/**
 * clip-taxonomy with BioCLIP 2's experience replay (methods.md §A.4): each step's biology batch is followed by a
 * replay batch from a second stream; the two share the image trunk, the text tower and one logit scale, but the
 * biology rows go through `imageProj` and the replay rows through a second visual head `continualProj`
 * (initialised as a copy of `imageProj`). L = L_clip(bio) + L_clip(replay), each with in-subset negatives only.
 * Inference (the exported image tower) uses the biology head.
 */
export function clipReplay(overrides: Partial<ClipReplayConfig> = {}): ClipReplayRecipe {
  const cfg = { ...CLIP_REPLAY_DEFAULTS, ...overrides };
  const bio = syntheticTaxonomy({ seed: cfg.seed, perSpecies: cfg.perSpecies, size: cfg.size });
  const rep = syntheticTaxonomy({ seed: cfg.replaySeed, perSpecies: 1, size: cfg.size });
  const corpus: string[] = [];
  for (const ds of [bio, rep])
    for (let k = 0; k < ds.classNames.length; k++) corpus.push(...(ds.get(k).captions ?? []));
  const tokenizer = WordTokenizer.fromCorpus(corpus, { contextLength: cfg.contextLength });
  const image = smallCnn({ channels: cfg.imageChannels });
  const text = textTransformer({
    vocab: tokenizer.vocabSize,
    context: cfg.contextLength,
    width: cfg.textWidth,
    depth: cfg.textDepth,
    heads: cfg.textHeads,
    outDim: cfg.embedDim,
  });
  const schedule = textTypeSchedule(cfg.seed, cfg.mixing);
  const [B, T, S] = [cfg.batchSize, cfg.contextLength, cfg.size];
  const P = (p: SymParams) => p as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  const encodeImage = (p: any, head: 'imageProj' | 'continualProj', x: Tensor, ctx: Ctx) =>
    linear.apply(p[head], image.apply(p.image, x, ctx));
  const encodeText = (p: any, ids: Tensor, eot: Tensor, ctx: Ctx) => text.apply(p.text, ids, ctx, eot);
  const tok = (texts: string[]) => {
    const t = tokenizer.encode(texts);
    return [BigInt64Array.from(t.ids, BigInt), BigInt64Array.from(t.eotIndex, BigInt)] as const;
  };

  return {
    name: 'clip-replay',
    config: cfg,
    tokenizer,
    batchSize: B,
    init: (rng) =>
      withContinualProj({
        image: image.init(rng.fork('image')),
        imageProj: linear.init(rng.fork('imageProj'), cfg.imageChannels[2], cfg.embedDim),
        text: text.init(rng.fork('text')),
        logitScale: filled([], CLIP_LOGIT_SCALE_INIT) as HostTensor,
      }),
    batchSpec: {
      image: { shape: [B, 3, S, S] },
      ids: { shape: [B, T], dtype: 'int64' },
      eot: { shape: [B], dtype: 'int64' },
      replayImage: { shape: [B, 3, S, S] },
      replayIds: { shape: [B, T], dtype: 'int64' },
      replayEot: { shape: [B], dtype: 'int64' },
    },
    loss: (sp, b, ctx) => {
      const p = P(sp);
      const r = replayLoss(
        encodeImage(p, 'imageProj', b.image, ctx),
        encodeText(p, b.ids, b.eot, ctx),
        encodeImage(p, 'continualProj', b.replayImage, ctx),
        encodeText(p, b.replayIds, b.replayEot, ctx),
        p.logitScale,
      );
      return { loss: r.loss, metrics: { bio: r.bio, replay: r.replay } };
    },
    optimizer: adamw({ beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: cfg.weightDecay }), // as clip-taxonomy
    clamp: (path) => (path === 'logitScale' ? [0, CLIP_LOGIT_SCALE_MAX] : undefined),
    pipeline: pipelineSource('synthetic-replay', {
      seed: cfg.seed,
      perSpecies: cfg.perSpecies,
      size: S,
      split: 'train',
      mode: 'train',
      replaySeed: cfg.replaySeed,
      replayPerSpecies: cfg.replayPerSpecies,
      replayTextType: TEXT_TYPES.indexOf(cfg.replayTextType),
    }),
    feeds(batch, step) {
      const types = schedule.batch(step, B);
      const caps = batch.captions!;
      const [ids, eot] = tok(caps.map((c, i) => c[TEXT_TYPES.indexOf(types[i])]));
      const [replayIds, replayEot] = tok(caps.map((c) => c[TEXT_TYPES.length]));
      return { image: batch.views[0], ids, eot, replayImage: batch.views[1], replayIds, replayEot };
    },
    towers: (n) => ({
      image: {
        inputs: { image: { shape: [n, 3, S, S] } },
        forward: (p, i, ctx) => ({ embedding: encodeImage(p, 'imageProj', i.image, ctx) }),
      },
      text: {
        inputs: { ids: { shape: [n, T], dtype: 'int64' }, eot: { shape: [n], dtype: 'int64' } },
        forward: (p, i, ctx) => ({ embedding: encodeText(p, i.ids, i.eot, ctx) }),
      },
    }),
    describe: () => ({
      recipe: 'clip-replay',
      config: cfg,
      embedDim: cfg.embedDim,
      image: {
        arch: 'smallCnn',
        channels: cfg.imageChannels,
        head: 'imageProj (biology); continualProj is training-only',
      },
      text: {
        arch: 'textTransformer',
        width: cfg.textWidth,
        depth: cfg.textDepth,
        heads: cfg.textHeads,
        context: T,
      },
      tokenizer: tokenizer.toJSON(),
      textTypes: TEXT_TYPES,
      templates: ['a photo of {}.'],
      taxonomy: {
        ranks: bio.taxonomy.ranks,
        classes: bio.taxonomy.classes.map((c) => c.lineage),
        classNames: bio.classNames,
      },
    }),
  };
}

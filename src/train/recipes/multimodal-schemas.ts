/**
 * Strict zod schemas of the multimodal recipes' options (defaults from each recipe's DEFAULTS, unknown keys
 * rejected), registered in RECIPES (index.ts).
 */
import { z } from 'zod';
import { TEXT_TYPES } from '../../data/taxonomy/text-types.ts';
import { CLIP_REPLAY_DEFAULTS } from './clip-replay.ts';
import { CLIPIN_DEFAULTS } from './clipin.ts';
import { imageTextDataFields } from './image-text-data.ts';
import { MULTIVIEW_TABULAR_DEFAULTS } from './multiview-tabular.ts';
import { RADIAL_FINETUNE_DEFAULTS } from './radial-finetune.ts';

const int = () => z.number().int().positive();
const channels = (d: readonly [number, number, number]) =>
  z.tuple([int(), int(), int()]).default([...d] as [number, number, number]);

const c = CLIPIN_DEFAULTS;
export const clipinSchema = z
  .object({
    seed: z.number().int().default(c.seed),
    perSpecies: int().default(c.perSpecies),
    size: int().default(c.size),
    batchSize: int().default(c.batchSize),
    imageChannels: channels(c.imageChannels),
    textWidth: int().default(c.textWidth),
    textDepth: int().default(c.textDepth),
    textHeads: int().default(c.textHeads),
    contextLength: z.number().int().min(2).default(c.contextLength),
    mixing: z.enum(['perBatch', 'perSample']).default(c.mixing),
    preDim: int().default(c.preDim),
    clipDim: int().default(c.clipDim),
    ncDim: int().default(c.ncDim),
    predHidden: int().default(c.predHidden),
    weightDecay: z.number().min(0).default(c.weightDecay),
    momentum: z.number().min(0).max(1).default(c.momentum),
    lambdaInit: z.number().min(0).default(c.lambdaInit),
    learnLambdas: z.boolean().default(c.learnLambdas),
    from: z.string().default(c.from),
    ...imageTextDataFields(c.cropScale),
  })
  .strict();

const m = MULTIVIEW_TABULAR_DEFAULTS;
export const multiviewTabularSchema = z
  .object({
    seed: z.number().int().default(m.seed),
    perSpecies: int().default(m.perSpecies),
    size: int().default(m.size),
    batchSize: int().default(m.batchSize),
    embedDim: int().default(m.embedDim),
    imageChannels: channels(m.imageChannels),
    textWidth: int().default(m.textWidth),
    textDepth: int().default(m.textDepth),
    textHeads: int().default(m.textHeads),
    contextLength: z.number().int().min(2).default(m.contextLength),
    mixing: z.enum(['perBatch', 'perSample']).default(m.mixing),
    tabularHidden: z.array(int()).default([...m.tabularHidden]),
    mode: z.enum(['core', 'full']).default(m.mode),
    core: z.enum(['image', 'text', 'tabular']).default(m.core),
    temperature: z.number().positive().default(m.temperature),
    corruption: z.number().min(0).max(1).default(m.corruption),
    noise: z.number().min(0).default(m.noise),
    weightDecay: z.number().min(0).default(m.weightDecay),
  })
  .strict();

const r = RADIAL_FINETUNE_DEFAULTS;
export const radialFinetuneSchema = z
  .object({
    seed: z.number().int().default(r.seed),
    from: z.string().default(r.from),
    batchSize: int().default(r.batchSize),
    chainsPerSpecies: int().default(r.chainsPerSpecies),
    heldOutEvery: z.number().int().min(0).default(r.heldOutEvery),
    embedDim: int().default(r.embedDim),
    textWidth: int().default(r.textWidth),
    textDepth: int().default(r.textDepth),
    textHeads: int().default(r.textHeads),
    contextLength: z.number().int().min(2).default(r.contextLength),
    weights: z
      .object({ p: z.number().min(0), e: z.number().min(0), m: z.number().min(0) })
      .strict()
      .default({ ...r.weights }),
    weightDecay: z.number().min(0).default(r.weightDecay),
  })
  .strict();

const q = CLIP_REPLAY_DEFAULTS;
export const clipReplaySchema = z
  .object({
    seed: z.number().int().default(q.seed),
    perSpecies: int().default(q.perSpecies),
    size: int().default(q.size),
    batchSize: int().default(q.batchSize),
    embedDim: int().default(q.embedDim),
    imageChannels: channels(q.imageChannels),
    textWidth: int().default(q.textWidth),
    textDepth: int().default(q.textDepth),
    textHeads: int().default(q.textHeads),
    contextLength: z.number().int().min(2).default(q.contextLength),
    mixing: z.enum(['perBatch', 'perSample']).default(q.mixing),
    weightDecay: z.number().min(0).default(q.weightDecay),
    replaySeed: z.number().int().default(q.replaySeed),
    replayPerSpecies: int().default(q.replayPerSpecies),
    replayTextType: z.enum(TEXT_TYPES).default(q.replayTextType),
  })
  .strict();

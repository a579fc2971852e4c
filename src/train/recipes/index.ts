import { z } from 'zod';
import { clipTaxonomy, CLIP_TAXONOMY_DEFAULTS } from './clip-taxonomy.ts';
import type { Recipe } from '../recipe.ts';
import { imageTextDataFields } from './image-text-data.ts';
import { byolCifar, byolCifarSchema, mocoCifar, mocoCifarSchema } from './momentum-cifar.ts';
import { simclrCifar, simclrCifarSchema } from './simclr-cifar.ts';
import { supervisedCifar, supervisedCifarSchema } from './supervised-cifar.ts';
import { clipin } from './clipin.ts';
import { clipReplay } from './clip-replay.ts';
import { multiviewTabular } from './multiview-tabular.ts';
import { radialFinetune } from './radial-finetune.ts';
import {
  clipinSchema,
  clipReplaySchema,
  multiviewTabularSchema,
  radialFinetuneSchema,
} from './multimodal-schemas.ts';

/**
 * A recipe entry: a strict zod schema for its options (defaults filled in, unknown keys rejected) and a builder.
 * Presets (src/config/presets/*.json) name an entry and give its options.
 */
export interface RecipeEntry<S extends z.ZodType = z.ZodType> {
  readonly about: string;
  readonly schema: S;
  readonly build: (config: z.infer<S>) => Recipe;
}

const d = CLIP_TAXONOMY_DEFAULTS;
export const clipTaxonomySchema = z
  .object({
    seed: z.number().int().default(d.seed),
    perSpecies: z.number().int().positive().default(d.perSpecies),
    size: z.number().int().positive().default(d.size),
    batchSize: z.number().int().positive().default(d.batchSize),
    embedDim: z.number().int().positive().default(d.embedDim),
    imageChannels: z
      .tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()])
      .default([...d.imageChannels] as [number, number, number]),
    textWidth: z.number().int().positive().default(d.textWidth),
    textDepth: z.number().int().positive().default(d.textDepth),
    textHeads: z.number().int().positive().default(d.textHeads),
    contextLength: z.number().int().min(2).default(d.contextLength),
    mixing: z.enum(['perBatch', 'perSample']).default(d.mixing),
    weightDecay: z.number().min(0).default(d.weightDecay),
    rankWeights: z.array(z.number()).default([]),
    ...imageTextDataFields(d.cropScale),
  })
  .strict();

/** Every recipe clade ships, by name. Add an entry here to make a recipe available to presets and `clade train`. */
export const RECIPES = {
  'clip-taxonomy': {
    about:
      'image + text towers, CLIP InfoNCE over BioCLIP 2 taxonomic captions (synthetic-taxonomy or CIFAR-100)',
    schema: clipTaxonomySchema,
    build: (c) => clipTaxonomy(c),
  } satisfies RecipeEntry<typeof clipTaxonomySchema>,
  clipin: {
    about: 'clip-taxonomy towers + the CLIPin non-contrastive plug-in (EMA target, inter/intra-modal terms)',
    schema: clipinSchema,
    build: (c) => clipin(c),
  } satisfies RecipeEntry<typeof clipinSchema>,
  'multiview-tabular': {
    about:
      'image + caption + tabular encoders trained with CMC (core-view or full-graph) on synthetic-taxonomy',
    schema: multiviewTabularSchema,
    build: (c) => multiviewTabular(c),
  } satisfies RecipeEntry<typeof multiviewTabularSchema>,
  'radial-finetune': {
    about:
      'Radial Embedding fine-tuning of a text tower on taxonomic chains (angle, hardest-pair, pull-back)',
    schema: radialFinetuneSchema,
    build: (c) => radialFinetune(c),
  } satisfies RecipeEntry<typeof radialFinetuneSchema>,
  'clip-replay': {
    about: 'clip-taxonomy + BioCLIP 2 experience replay: a second data stream through a second visual head',
    schema: clipReplaySchema,
    build: (c) => clipReplay(c),
  } satisfies RecipeEntry<typeof clipReplaySchema>,
  'supervised-cifar': {
    about:
      'image encoder + linear head, cross-entropy with label smoothing 0.1 on CIFAR-100 (methods.md §E.7)',
    schema: supervisedCifarSchema,
    build: (c) => supervisedCifar(c),
  } satisfies RecipeEntry<typeof supervisedCifarSchema>,
  'simclr-cifar': {
    about: 'SimCLR on CIFAR-100: two augmented views, encoder + projection head, NT-Xent (τ 0.5)',
    schema: simclrCifarSchema,
    build: (c) => simclrCifar(c),
  } satisfies RecipeEntry<typeof simclrCifarSchema>,
  'moco-cifar': {
    about:
      'MoCo on CIFAR-100: EMA key encoder (m 0.99) + FIFO queue of 4096 keys, symmetrised InfoNCE (τ 0.2)',
    schema: mocoCifarSchema,
    build: (c) => mocoCifar(c),
  } satisfies RecipeEntry<typeof mocoCifarSchema>,
  'byol-cifar': {
    about: 'BYOL on CIFAR-100: online projector + predictor regress an EMA target (m 0.99), no negatives',
    schema: byolCifarSchema,
    build: (c) => byolCifar(c),
  } satisfies RecipeEntry<typeof byolCifarSchema>,
} as const;
export type RecipeName = keyof typeof RECIPES;

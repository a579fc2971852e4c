/**
 * Every recipe clade ships, by name: its option schema (src/train/recipes/schemas.ts) and its factory. Presets
 * (src/config/presets/*.json) and config files name an entry and give its options; `clade train` validates them
 * with the schema and builds the recipe. Add an entry here to make a recipe available.
 */
import type { z } from 'zod';
import type { Recipe } from '../recipe.ts';
import { clipReplay } from './clip-replay.ts';
import { clipTaxonomy } from './clip-taxonomy.ts';
import { clipin } from './clipin.ts';
import { byolCifar, mocoCifar } from './momentum-cifar.ts';
import { multiviewTabular } from './multiview-tabular.ts';
import { openClipImage } from './parts/open-clip-start.ts';
import { penguinsDataSpec } from './parts/penguins-data.ts';
import { openSpecSource, replaySpecData, specImageTextData } from './parts/spec-data.ts';
import { radialFinetune } from './radial-finetune.ts';
import {
  byolCifarSchema,
  clipinSchema,
  clipReplaySchema,
  clipTaxonomySchema,
  mocoCifarSchema,
  multiviewTabularSchema,
  radialFinetuneSchema,
  simclrCifarSchema,
  supervisedCifarSchema,
} from './schemas.ts';
import { simclrCifar } from './simclr-cifar.ts';
import { supervisedCifar } from './supervised-cifar.ts';

/** A recipe entry: a strict zod schema for its options (defaults filled in, unknown keys rejected) and a builder. */
export interface RecipeEntry<S extends z.ZodType = z.ZodType, R extends Recipe = Recipe> {
  readonly about: string;
  readonly schema: S;
  /** Async: a `data` SPEC is opened (classes, captions, validation split) before the recipe is built. */
  readonly build: (config: z.infer<S>) => Promise<R>;
}

const entry = <S extends z.ZodType, R extends Recipe>(e: RecipeEntry<S, R>) => e;

export const RECIPES = {
  'clip-taxonomy': entry({
    about:
      'image + text towers, CLIP InfoNCE over BioCLIP 2 taxonomic captions (synthetic-taxonomy or CIFAR-100)',
    schema: clipTaxonomySchema,
    build: async (c) =>
      clipTaxonomy(c, c.data ? await specImageTextData({ ...c, ...openClipImage(c.from) }) : undefined),
  }),
  clipin: entry({
    about: 'clip-taxonomy towers + the CLIPin non-contrastive plug-in (EMA target, inter/intra-modal terms)',
    schema: clipinSchema,
    build: async (c) =>
      clipin(c, c.data ? await specImageTextData({ ...c, ...openClipImage(c.from) }) : undefined),
  }),
  'multiview-tabular': entry({
    about:
      'image + caption + tabular encoders trained with CMC (core-view or full-graph) on synthetic-taxonomy or Palmer penguins',
    schema: multiviewTabularSchema,
    build: async (c) =>
      multiviewTabular(
        c,
        c.dataset === 'palmer-penguins'
          ? await specImageTextData({ ...c, data: penguinsDataSpec(c) })
          : c.data
            ? await specImageTextData(c)
            : undefined,
      ),
  }),
  'radial-finetune': entry({
    about:
      'Radial Embedding fine-tuning of a text tower on taxonomic chains (angle, hardest-pair, pull-back)',
    schema: radialFinetuneSchema,
    build: async (c) => radialFinetune(c, c.data ? await openSpecSource(c.data) : undefined),
  }),
  'clip-replay': entry({
    about: 'clip-taxonomy + BioCLIP 2 experience replay: a second data stream through a second visual head',
    schema: clipReplaySchema,
    build: async (c) => clipReplay(c, c.data ? await replaySpecData(c) : undefined),
  }),
  'supervised-cifar': entry({
    about:
      'image encoder + linear head, cross-entropy with label smoothing 0.1 on CIFAR-100 (docs/methods.md §E.7)',
    schema: supervisedCifarSchema,
    build: async (c) => supervisedCifar(c, c.data ? await openSpecSource(c.data) : undefined),
  }),
  'simclr-cifar': entry({
    about: 'SimCLR on CIFAR-100: two augmented views, encoder + projection head, NT-Xent (τ 0.5)',
    schema: simclrCifarSchema,
    build: async (c) => simclrCifar(c, c.data ? await openSpecSource(c.data) : undefined),
  }),
  'moco-cifar': entry({
    about:
      'MoCo on CIFAR-100: EMA key encoder (m 0.99) + FIFO queue of 4096 keys, symmetrised InfoNCE (τ 0.2)',
    schema: mocoCifarSchema,
    build: async (c) => mocoCifar(c, c.data ? await openSpecSource(c.data) : undefined),
  }),
  'byol-cifar': entry({
    about: 'BYOL on CIFAR-100: online projector + predictor regress an EMA target (m 0.99), no negatives',
    schema: byolCifarSchema,
    build: async (c) => byolCifar(c, c.data ? await openSpecSource(c.data) : undefined),
  }),
} as const;
export type RecipeName = keyof typeof RECIPES;

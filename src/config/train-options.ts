/**
 * The `train` section of a config: the trainer's options (schedule, seed, checkpointing, loader threads, the
 * exported model's batch size). Recipe-specific options live in the recipe's own schema
 * (src/train/recipes/index.ts), validated under `recipeConfig`.
 */
import { z } from 'zod';

const int = () => z.number().int();

export const TrainOptionsSchema = z
  .object({
    /** Optimizer steps. clade's default: long enough to leave the warm-up well behind on the small recipes. */
    steps: int().positive().default(1000),
    /** Peak learning rate after warm-up. clade's default for its small from-scratch recipes (AdamW); the
     * papers' values are for much larger batches and fine-tuning (BioCLIP 2 1e-4, CLIPin 3e-5: docs/methods.md). */
    lr: z.number().positive().default(1e-3),
    /** Linear warm-up steps. CLIPin's schedule (docs/methods.md §D.6: 100 warm-up steps, then cosine). */
    warmup: int().min(0).default(100),
    /** Floor of the cosine decay. CLIPin §D.6 and SimCLR decay to 0. */
    minLr: z.number().min(0).default(0),
    /** Micro-batches per optimizer step (gradient accumulation: effective batch = recipe batch × this);
     * `steps` counts optimizer steps. Default 1 (no accumulation). */
    accumulate: int().positive().default(1),
    /** Optimizer steps per graph run: parameters and optimizer state cross between JS and ONNX Runtime once per
     * group, which speeds up models with many parameters and little compute per step (docs/engine.md).
     * `steps`, `checkpointEvery` and `evalEvery` must be multiples of it; not with `accumulate`. Default 1. */
    unroll: int().positive().default(1),
    /** Seed of initialisation, data order, augmentation and dropout (the recipe's `seed` picks its data set). */
    seed: int().default(0),
    /** Write a checkpoint every N steps (and at the last step). clade's default. */
    checkpointEvery: int().positive().default(500),
    /** Checkpoints kept, oldest deleted first. clade's default: the newest plus one in case it is cut short. */
    keepLast: int().positive().default(2),
    /** Loader worker threads (results do not depend on it). clade's default: 1, as `clade demo` uses on 2 cores. */
    workers: int().min(0).default(1),
    /** Run the recipe's evaluation hook (`Recipe.periodicEval`) every N steps; 0 = never. clade's default: off. */
    evalEvery: int().min(0).default(0),
    /** Static batch size of the exported ONNX towers (`writeModelDir`'s default). */
    exportBatch: int().positive().default(64),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.warmup > t.steps)
      ctx.addIssue({
        code: 'custom',
        path: ['warmup'],
        message: `warm-up (${t.warmup}) is longer than the run (${t.steps} steps)`,
      });
    if (t.minLr > t.lr)
      ctx.addIssue({ code: 'custom', path: ['minLr'], message: `minLr (${t.minLr}) exceeds lr (${t.lr})` });
  });

/**
 * Validated trainer options with every default filled in.
 *
 * @example
 * const t: TrainConfig = TrainOptionsSchema.parse({ steps: 300, lr: 2e-3 }); // warmup 100, seed 0, …
 */
export type TrainConfig = z.infer<typeof TrainOptionsSchema>;

/**
 * Pipelines over the built-in synthetic-taxonomy dataset: image views by view preset, the image-text recipes'
 * training and evaluation views, and BioCLIP 2's experience-replay stream.
 */
import { buildViews, type ViewSpec } from '../augment/view-spec.ts';
import { bioclipTrainView, clipEvalView, clipinViews, type Stats } from '../augment/views.ts';
import type { Pipeline } from '../loader/loader-types.ts';
import { viewsTransform } from '../loader/sample-transforms.ts';
import { syntheticTaxonomy, type SyntheticTaxonomyOptions } from '../synthetic/synthetic-taxonomy.ts';

/**
 * synthetic-taxonomy with the image views of a view preset (captions passed through unless `captions: false`).
 *
 * @example
 * pipelineSource('synthetic-views', { dataset: { perSpecies: 20 }, views: { preset: 'simclr' } });
 */
export function syntheticViews(args: {
  readonly dataset?: SyntheticTaxonomyOptions;
  readonly views: ViewSpec;
  readonly captions?: boolean;
}): Pipeline {
  return {
    dataset: syntheticTaxonomy(args.dataset ?? {}),
    transform: viewsTransform({ image: buildViews(args.views), captions: args.captions ?? true }),
  };
}

/** Which split of synthetic-taxonomy, and how its images are viewed. */
export interface SyntheticSplitArgs {
  readonly seed: number;
  readonly perSpecies: number;
  readonly size: number;
  readonly split: string;
  /** `train`: the recipe's training views; `eval`: one resize + centre-crop view (CLIP's eval transform). */
  readonly mode: 'train' | 'eval';
  /** Mean/std of the views (default OpenAI CLIP's; a pretrained model's when fine-tuning one). */
  readonly normalize?: Stats;
}

/**
 * The image-text recipes' view of synthetic-taxonomy: in training one view with BioCLIP's RandomResizedCrop
 * (0.9–1, bicubic) + normalise (`views: 1`), or CLIPin's two views (docs/methods.md §D.5: the same stochastic pipeline —
 * RandomResizedCrop 0.8–1, ratio 1, flip, brightness 0.1, CLIP mean/std — sampled twice; `views: 2`); in eval
 * mode one resize + centre-crop view. Captions: the five BioCLIP 2 text types.
 */
export function syntheticImageText(args: SyntheticSplitArgs & { readonly views: 1 | 2 }): Pipeline {
  const dataset = syntheticTaxonomy({
    seed: args.seed,
    perSpecies: args.perSpecies,
    size: args.size,
    split: args.split,
  });
  const size = { size: args.size, normalize: args.normalize };
  const image =
    args.mode === 'eval'
      ? [clipEvalView(size)]
      : args.views === 2
        ? clipinViews(size)
        : [bioclipTrainView(size)];
  return { dataset, transform: viewsTransform({ image }) };
}

export interface SyntheticReplayArgs extends SyntheticSplitArgs {
  /** Seed of the replay stream's own synthetic-taxonomy (another tree of species, names and images). */
  readonly replaySeed: number;
  readonly replayPerSpecies: number;
  /** Index into TEXT_TYPES of the replay caption (clade's stand-in for LAION's raw text: the common name). */
  readonly replayTextType: number;
}

/**
 * BioCLIP 2's experience replay stream (docs/methods.md §A.4) on synthetic data: each item carries a biology sample
 * (view 0, captions 0–4 = the five text types) and a replay sample drawn uniformly from a second dataset with the
 * item's rng (view 1, caption 5), so every batch is a biology batch plus an appended replay batch.
 */
export function syntheticReplay(args: SyntheticReplayArgs): Pipeline {
  const opts = { size: args.size, split: args.split };
  const dataset = syntheticTaxonomy({ ...opts, seed: args.seed, perSpecies: args.perSpecies });
  const replay = syntheticTaxonomy({ ...opts, seed: args.replaySeed, perSpecies: args.replayPerSpecies });
  const look = { size: args.size, normalize: args.normalize };
  const view = args.mode === 'train' ? bioclipTrainView(look) : clipEvalView(look);
  const transform: Pipeline['transform'] = (sample, rng, ctx) => {
    const r = replay.get(rng.int(replay.length));
    const k = view.size(sample.image!.channels);
    const views = [
      view.forward(sample.image!, rng, ctx?.viewSlot(0, k)),
      view.forward(r.image!, rng, ctx?.viewSlot(1, k)),
    ];
    return { views, label: sample.label, captions: [...sample.captions!, r.captions![args.replayTextType]] };
  };
  return { dataset, transform };
}

/** The caption feed of the image-text recipes: each row's caption in the text type the schedule draws, tokenised. */
import type { Batch } from '../../../data/loader/loader-types.ts';
import { textTypeSchedule, type TextMixing } from '../../../data/taxonomy/text-type-schedule.ts';
import { TEXT_TYPES, type TextType } from '../../../data/taxonomy/text-types.ts';
import type { TextFeeds } from './towers.ts';

/**
 * `(batch, step) → { ids, eot }` for the first `B` rows of a batch: row i's caption of the text type drawn for
 * (`step`, i) by BioCLIP 2's schedule (docs/methods.md §A.3: one type per batch, or per sample) among `cfg.textTypes` (default
 * all five), from the five TEXT_TYPES captions every sample carries.
 *
 * @example
 * const captions = captionFeed(cfg, B, text.tokenize);
 * recipe.feeds = (batch, step) => ({ image: batch.views[0], ...captions(batch, step) });
 */
export function captionFeed(
  cfg: { readonly seed: number; readonly mixing: TextMixing; readonly textTypes?: readonly TextType[] },
  B: number,
  tokenize: (texts: readonly string[]) => TextFeeds,
): (batch: Batch, step: number) => TextFeeds {
  const schedule = textTypeSchedule(cfg.seed, cfg.mixing, cfg.textTypes);
  return (batch, step) => {
    const types = schedule.batch(step, B);
    return tokenize(types.map((t, i) => batch.captions![i][TEXT_TYPES.indexOf(t)]));
  };
}

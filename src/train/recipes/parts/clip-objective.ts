/**
 * What the CLIP-style recipes share around their loss: the learnable logit scale (a log, CLIP's init ln(1/0.07),
 * clamped to [0, ln 100] after every step), CLIP's AdamW settings, and the model.json block of an image-text model.
 */
import { TEXT_TYPES } from '../../../data/taxonomy/text-types.ts';
import { filled, type HostTensor } from '../../../nn/context.ts';
import { CLIP_LOGIT_SCALE_INIT, CLIP_LOGIT_SCALE_MAX } from '../../../objectives/index.ts';
import { adamw } from '../../../optim/adamw.ts';
import type { Optimizer } from '../../../optim/types.ts';
import { taxonomyDescription, type ImageTextData } from './image-text-data.ts';

/** A fresh logit scale, ln(1/0.07). */
export const logitScaleInit = (): HostTensor => filled([], CLIP_LOGIT_SCALE_INIT);

/** The clamp of a parameter tree with a top-level `logitScale` ([0, ln 100]). */
export const clampLogitScale = (path: string): readonly [number, number] | undefined =>
  path === 'logitScale' ? [0, CLIP_LOGIT_SCALE_MAX] : undefined;

/** AdamW with CLIP's β (0.9, 0.98) and ε 1e-6 (BioCLIP 2 and CLIPin train with these), at `weightDecay`. */
export const clipAdamw = (weightDecay: number): Optimizer =>
  adamw({ beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay });

/**
 * model.json's description of an image-text model: recipe and config, the text types and template its captions
 * use, the data's taxonomy, and the recipe's own blocks (`image`, `text`, `tokenizer` from its towers, …).
 */
export function imageTextDescription(
  recipe: string,
  config: object,
  data: ImageTextData,
  blocks: Record<string, unknown>,
): Record<string, unknown> {
  return {
    recipe,
    config,
    ...blocks,
    textTypes: TEXT_TYPES,
    templates: ['a photo of {}.'],
    dataset: data.name,
    taxonomy: taxonomyDescription(data),
  };
}

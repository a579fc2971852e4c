import { CladeError } from '../../util/errors.ts';
import type { ImageView } from './image-view.ts';
import { bioclipTrainView, byolViews, clipEvalView, clipinViews, simclrViews } from './views.ts';

/**
 * A view preset as plain data (JSON, structured-cloneable), so configs and worker threads can name views without
 * passing closures. `buildViews` turns it into `ImageView`s.
 *
 * @example
 * buildViews({ preset: 'byol', size: 32, scale: [0.2, 1] }); // [online, target]
 */
export type ViewSpec =
  | { preset: 'simclr'; size?: number; scale?: [number, number]; blur?: boolean }
  | { preset: 'byol'; size?: number; scale?: [number, number] }
  | { preset: 'clipin'; size?: number }
  | { preset: 'bioclip'; size?: number }
  | { preset: 'clip-eval'; size?: number };

export const VIEW_PRESETS = ['simclr', 'byol', 'clipin', 'bioclip', 'clip-eval'] as const;

/** The `ImageView`s a spec names (two for the contrastive presets, one for BioCLIP training and evaluation). */
export function buildViews(spec: ViewSpec): ImageView[] {
  switch (spec.preset) {
    case 'simclr':
      return simclrViews(spec);
    case 'byol':
      return byolViews(spec);
    case 'clipin':
      return clipinViews(spec);
    case 'bioclip':
      return [bioclipTrainView(spec)];
    case 'clip-eval':
      return [clipEvalView(spec)];
    default:
      throw new CladeError(
        `unknown view preset '${(spec as { preset: string }).preset}', expected one of ${VIEW_PRESETS.join(', ')}`,
        { field: 'preset' },
      );
  }
}

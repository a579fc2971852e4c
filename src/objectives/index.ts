import {
  byolCos,
  clipInfoNce,
  cmcLoss,
  enqueue,
  mocoLoss,
  ntXent,
  sigLip,
  similarityLogits,
  supCon,
} from './contrastive.ts';
import { clipinLoss } from './clipin.ts';
import { hierarchicalLoss, replayLoss } from './hierarchical.ts';
import { exteriorAngle, radialLoss, RADIAL_WEIGHTS } from './radial.ts';

export { byolCos, clipInfoNce, cmcLoss, enqueue, mocoLoss, ntXent, sigLip, similarityLogits, supCon };
export { clipinLoss, hierarchicalLoss, replayLoss, exteriorAngle, radialLoss, RADIAL_WEIGHTS };
export type { ClipinOutputs } from './clipin.ts';
export type { RadialWeights } from './radial.ts';

/** ln(1/0.07): CLIP's initial logit scale (stored as a log). Clamped to [0, ln 100] after each step. */
export const CLIP_LOGIT_SCALE_INIT = Math.log(1 / 0.07);
export const CLIP_LOGIT_SCALE_MAX = Math.log(100);

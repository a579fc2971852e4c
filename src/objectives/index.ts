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

/**
 * The objectives clade implements, each a pure function over embeddings, with the paper it follows. Recipes
 * refer to these entries directly (no string lookups of classes, no if/elif factory).
 */
export const OBJECTIVES = {
  clip: { fn: clipInfoNce, paper: 'https://arxiv.org/abs/2103.00020', spec: 'methods.md §A.2, §F.3' },
  siglip: { fn: sigLip, paper: 'https://arxiv.org/abs/2303.15343', spec: 'open_clip SigLipLoss' },
  ntxent: { fn: ntXent, paper: 'https://arxiv.org/abs/2002.05709', spec: 'methods.md §F.3' },
  supcon: { fn: supCon, paper: 'https://arxiv.org/abs/2004.11362', spec: 'methods.md §F.3' },
  moco: { fn: mocoLoss, paper: 'https://arxiv.org/abs/1911.05722', spec: 'methods.md §F.3, §E.7' },
  byol: { fn: byolCos, paper: 'https://arxiv.org/abs/2006.07733', spec: 'methods.md §F.3' },
  cmc: { fn: cmcLoss, paper: 'https://arxiv.org/abs/1906.05849', spec: 'methods.md §F.3' },
  hierarchical: {
    fn: hierarchicalLoss,
    paper: 'https://arxiv.org/abs/2505.23883',
    spec: 'methods.md §A.2 (+ clade per-rank SupCon)',
  },
  replay: { fn: replayLoss, paper: 'https://arxiv.org/abs/2505.23883', spec: 'methods.md §A.4' },
  clipin: { fn: clipinLoss, paper: 'https://arxiv.org/abs/2508.06434', spec: 'methods.md §D.3' },
  radial: { fn: radialLoss, paper: 'https://arxiv.org/abs/2407.08521', spec: 'methods.md §C.3' },
} as const;
export type ObjectiveName = keyof typeof OBJECTIVES;

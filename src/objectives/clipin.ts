import type { Tensor } from '../engine/index.ts';
import { byolCos, clipInfoNce } from './contrastive.ts';

/** The CLIPin quantities one step produces (docs/methods.md §D.2); y_* come from the EMA target network. */
export interface ClipinOutputs {
  readonly eI: Tensor; /* [N, 512] contrastive image embedding */
  readonly eT: Tensor; /* [N, 512] contrastive text embedding */
  readonly pIx: Tensor; /* [N, 8192] inter-modal image prediction */
  readonly pTx: Tensor;
  readonly pIs: Tensor; /* [N, 8192] intra-modal image prediction */
  readonly pTs: Tensor;
  readonly yI: Tensor; /* [N, 8192] target image projection (view 2) */
  readonly yT: Tensor;
}

/**
 * CLIPin's total loss (Yang et al. 2025, https://arxiv.org/abs/2508.06434; docs/methods.md §D.3):
 * L_inter = 2 − [cos(P_I^x, sg y_T) + cos(P_T^x, sg y_I)],  L_intra = 2 − [cos(P_I^s, sg y_I) + cos(P_T^s, sg y_T)],
 * L = L_inter + λ_self·L_intra + λ_comb·L_CLIP. λs are learnable scalars (clamped to [0, 20] by the trainer).
 * Each bracket is half the sum of two `byolCos` terms.
 */
export function clipinLoss(o: ClipinOutputs, logitScale: Tensor, lambdaSelf: Tensor, lambdaComb: Tensor) {
  const inter = byolCos(o.pIx, o.yT).add(byolCos(o.pTx, o.yI)).mul(0.5);
  const intra = byolCos(o.pIs, o.yI).add(byolCos(o.pTs, o.yT)).mul(0.5);
  const clip = clipInfoNce(o.eI, o.eT, logitScale);
  const loss = inter.add(intra.mul(lambdaSelf.reshape([]))).add(clip.mul(lambdaComb.reshape([])));
  return { loss, inter, intra, clip };
}

import { F, type Tensor } from '../engine/index.ts';

/**
 * Radial Embedding geometry (Alper & Averbuch-Elor 2024, https://arxiv.org/abs/2407.08521; docs/methods.md §C.2):
 * the exterior angle Ξ_r(u, v) = arccos(⟨u − r, v − u⟩ / (‖u − r‖·‖v − u‖)) at `u` between the ray r→u and the
 * segment u→v, row-wise. The cosine is clipped to [−1+1e-6, 1−1e-6] so arccos keeps a finite gradient.
 */
export function exteriorAngle(
  r: Tensor /* [D] or [N, D] */,
  u: Tensor /* [N, D] */,
  v: Tensor /* [N, D] */,
): Tensor /* [N] */ {
  const a = u.sub(r);
  const b = v.sub(u);
  const cos = a
    .mul(b)
    .sum(-1)
    .div(a.square().sum(-1).sqrt().mul(b.square().sum(-1).sqrt()).add(1e-12));
  return cos
    .maximum(-1 + 1e-6)
    .minimum(1 - 1e-6)
    .acos();
}

export interface RadialWeights {
  readonly p: number;
  readonly e: number;
  readonly m: number;
}
/** Code defaults of the reference repository: λ_p = 10, λ_e = 1, λ_m = 1 (docs/methods.md §C.3). */
export const RADIAL_WEIGHTS: RadialWeights = { p: 10, e: 1, m: 1 };

/**
 * The RE fine-tuning objective (docs/methods.md §C.3). `pos[k]`, `neg[k]` are the level-k embeddings [B, D] of the
 * positive and negative chains (k = 0..3, general → specific), `root` the embedding of the empty text [D],
 * `current`/`frozen` all 8B texts embedded by the trained and the frozen original tower.
 *   P[k] = Ξ_r(p_k, p_{k+1}), N[k] = Ξ_r(p_k, n_k) (k = 0..2; n_3 unused)
 *   L_e = mean P − mean N;  L_m = (P[i*] − N[i*]) + (P[j*] − N[j*]), i* = argmax P, j* = argmin N
 *   L_p = (1 − mean⟨e_θ, e_0⟩)/2;  L = λ_p L_p + λ_e L_e + λ_m L_m
 * All embeddings are L2-normalised here.
 */
export function radialLoss(
  pos: readonly Tensor[],
  neg: readonly Tensor[],
  root: Tensor,
  current: Tensor /* [8B, D] */,
  frozen: Tensor /* [8B, D] */,
  w: RadialWeights = RADIAL_WEIGHTS,
): { loss: Tensor; angleTerm: Tensor; hardTerm: Tensor; pullTerm: Tensor } {
  const n = (t: Tensor) => F.l2normalize(t);
  const r = n(root.reshape([1, root.shape[root.rank - 1]]));
  const P = F.concat(
    [0, 1, 2].map((k) => exteriorAngle(r, n(pos[k]), n(pos[k + 1]))),
    0,
  ); /* [3B] */
  const N = F.concat(
    [0, 1, 2].map((k) => exteriorAngle(r, n(pos[k]), n(neg[k]))),
    0,
  ); /* [3B] */
  const angleTerm = P.mean().sub(N.mean());
  const pick = (t: Tensor, idx: Tensor) =>
    t
      .reshape([t.shape[0], 1])
      .gather(idx.reshape([1]))
      .reshape([]);
  const iStar = P.stopGradient().topK(1).indices;
  const jStar = N.stopGradient().neg().topK(1).indices;
  const hardTerm = pick(P, iStar)
    .sub(pick(N, iStar))
    .add(pick(P, jStar).sub(pick(N, jStar)));
  const pullTerm = n(current).mul(n(frozen).stopGradient()).sum(-1).mean().neg().add(1).mul(0.5);
  const loss = pullTerm.mul(w.p).add(angleTerm.mul(w.e)).add(hardTerm.mul(w.m));
  return { loss, angleTerm, hardTerm, pullTerm };
}

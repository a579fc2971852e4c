import { F, constant, type Tensor } from '../engine/index.ts';

const { l2normalize, crossEntropy, logSigmoid, arange } = F;

/**
 * CLIP's symmetric InfoNCE (Radford et al. 2021, https://arxiv.org/abs/2103.00020; docs/methods.md §A.2, §D.3):
 * logits = exp(logitScale)·n(a)n(b)ᵀ, L = ½[CE(logits, arange) + CE(logitsᵀ, arange)].
 * `logitScale` is the stored log (init ln(1/0.07)); inputs need not be normalised.
 *
 * @example
 * const loss = clipInfoNce(imageEmb, textEmb, p.logitScale); // scalar
 */
export function clipInfoNce(
  a: Tensor /* [N, D] */,
  b: Tensor /* [N, D] */,
  logitScale: Tensor /* [] or [1] */,
): Tensor {
  const n = a.shape[0];
  const logits = similarityLogits(a, b, logitScale);
  const t = arange(n);
  return crossEntropy(logits, t).add(crossEntropy(logits.T, t)).mul(0.5);
}

/** s·n(a)n(b)ᵀ — the single place clade writes CLIP-style logits. */
export function similarityLogits(a: Tensor, b: Tensor, logitScale: Tensor): Tensor {
  return l2normalize(a).matmul(l2normalize(b), { transB: true }).mul(logitScale.exp().reshape([]));
}

/**
 * SigLIP's pairwise sigmoid loss (Zhai et al. 2023, https://arxiv.org/abs/2303.15343):
 * L = −(1/N) Σ_ij log σ(z_ij·(s·⟨n(a_i), n(b_j)⟩ + bias)), z = +1 on the diagonal, −1 elsewhere.
 * Paper init: logitScale = ln 10, bias = −10.
 */
export function sigLip(a: Tensor, b: Tensor, logitScale: Tensor, logitBias: Tensor): Tensor {
  const n = a.shape[0];
  const eye = new Float32Array(n * n);
  for (let i = 0; i < n; i++) eye[i * n + i] = 1;
  const z = constant(
    eye.map((v) => 2 * v - 1),
    [n, n],
  );
  const logits = similarityLogits(a, b, logitScale).add(logitBias.reshape([]));
  return logSigmoid(logits.mul(z))
    .sum()
    .mul(-1 / n);
}

/**
 * SimCLR's NT-Xent (Chen et al. 2020, https://arxiv.org/abs/2002.05709): for 2N views (rows i and i+N are a
 * positive pair), ℓ(i,j) = −log[exp(sim(z_i,z_j)/τ) / Σ_{k≠i} exp(sim(z_i,z_k)/τ)], averaged over all 2N rows.
 */
export function ntXent(z1: Tensor /* [N, D] */, z2: Tensor /* [N, D] */, temperature: number): Tensor {
  const n = z1.shape[0];
  const z = F.concat([l2normalize(z1), l2normalize(z2)], 0);
  const sim = z.matmul(z, { transB: true }).mul(1 / temperature);
  const self = new Float32Array(4 * n * n);
  for (let i = 0; i < 2 * n; i++) self[i * 2 * n + i] = -1e9;
  const logits = sim.add(constant(self, [2 * n, 2 * n]));
  const targets = constant(
    BigInt64Array.from({ length: 2 * n }, (_, i) => BigInt((i + n) % (2 * n))),
    [2 * n],
    'int64',
  );
  return crossEntropy(logits, targets);
}

/**
 * Supervised contrastive loss (Khosla et al. 2020, https://arxiv.org/abs/2004.11362), "L_out" form:
 * L = mean_i −(1/|P(i)|) Σ_{p∈P(i)} log[exp(z_i·z_p/τ) / Σ_{a≠i} exp(z_i·z_a/τ)], P(i) = other rows with y_i's
 * label. Rows with no positive contribute 0 (and are excluded from the mean).
 */
export function supCon(z: Tensor /* [N, D] */, labels: Tensor /* [N] int64 */, temperature: number): Tensor {
  const n = z.shape[0];
  const zn = l2normalize(z);
  const offDiag = new Float32Array(n * n).fill(1);
  const selfMask = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    offDiag[i * n + i] = 0;
    selfMask[i * n + i] = -1e9;
  }
  const logits = zn
    .matmul(zn, { transB: true })
    .mul(1 / temperature)
    .add(constant(selfMask, [n, n]));
  const logProb = logits.logSoftmax(-1);
  const same = labels
    .reshape([n, 1])
    .eq(labels.reshape([1, n]))
    .cast('float32')
    .mul(constant(offDiag, [n, n]));
  const count = same.sum(-1);
  const has = count.gt(0).cast('float32');
  const perRow = logProb.mul(same).sum(-1).div(count.maximum(1)).neg();
  return perRow.mul(has).sum().div(has.sum().maximum(1));
}

/**
 * The negative-free regression loss of BYOL (Grill et al. 2020, https://arxiv.org/abs/2006.07733) and CLIPin:
 * 2 − 2·mean_i cos(p_i, sg(z_i)). The target is under stop-gradient.
 */
export function byolCos(p: Tensor /* [N, D] */, z: Tensor /* [N, D] */): Tensor {
  return l2normalize(p).mul(l2normalize(z.stopGradient())).sum(-1).mean().mul(-2).add(2);
}

/**
 * MoCo's queue InfoNCE (He et al. 2020, https://arxiv.org/abs/1911.05722): logits [N, 1+Q] = [q·k⁺, q·queueᵀ]/τ
 * with unit vectors, target 0. `k` comes from the momentum encoder (stop-gradient); `queue` holds past keys.
 */
export function mocoLoss(
  q: Tensor /* [N, D] */,
  k: Tensor /* [N, D] */,
  queue: Tensor /* [Q, D] */,
  temperature: number,
): Tensor {
  const n = q.shape[0];
  const qn = l2normalize(q);
  const kn = l2normalize(k.stopGradient());
  const pos = qn.mul(kn).sum(-1, true);
  const neg = qn.matmul(queue.stopGradient(), { transB: true });
  const logits = F.concat([pos, neg], 1).mul(1 / temperature);
  return crossEntropy(logits, constant(new BigInt64Array(n), [n], 'int64'));
}

/** The next MoCo queue: the newest keys first, the oldest dropped (FIFO of fixed size). */
export function enqueue(queue: Tensor /* [Q, D] */, keys: Tensor /* [N, D] */): Tensor {
  const q = queue.shape[0];
  const n = keys.shape[0];
  return F.concat([l2normalize(keys.stopGradient()), queue.slice([0], [0], [q - n])], 0);
}

/**
 * CMC multi-view InfoNCE (Tian et al. 2020, https://arxiv.org/abs/1906.05849): pairwise
 * L(a,b) = L^{a→b} + L^{b→a} (each a CE over a temperature-scaled cosine matrix); `core` sums L(V₁, V_j) over
 * j ≥ 2, `full` sums over all pairs i < j.
 */
export function cmcLoss(views: readonly Tensor[], temperature: number, mode: 'core' | 'full'): Tensor {
  const n = views[0].shape[0];
  const t = arange(n);
  const pair = (a: Tensor, b: Tensor) => {
    const logits = l2normalize(a)
      .matmul(l2normalize(b), { transB: true })
      .mul(1 / temperature);
    return crossEntropy(logits, t).add(crossEntropy(logits.T, t));
  };
  let total: Tensor | null = null;
  for (let i = 0; i < views.length; i++)
    for (let j = i + 1; j < views.length; j++) {
      if (mode === 'core' && i !== 0) continue;
      const l = pair(views[i], views[j]);
      total = total ? total.add(l) : l;
    }
  if (!total) throw new Error('cmcLoss needs at least two views');
  return total;
}

import type { Optimizer } from './types.ts';

export interface AdamWConfig {
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  readonly weightDecay?: number;
}

/**
 * AdamW with `torch.optim.AdamW` semantics (decoupled weight decay, bias-corrected moments):
 * p ← p·(1 − lr·wd);  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε).
 * In the graph the moments are held scaled, m̃ = m/(1−β₁) and ṽ = v/(1−β₂) (`slotScale`; checkpoints hold m and
 * v), so m̃ ← β₁m̃ + g and ṽ ← β₂ṽ + g² need no (1−β) multiplies. The bias corrections and those scales are
 * folded into two fed scalars, `stepSize = lr·√(1−β₂ᵗ)/(1−β₁ᵗ)·(1−β₁)/√(1−β₂)` and
 * `epsHat = ε·√(1−β₂ᵗ)/√(1−β₂)`, so the update is `p·decay − stepSize · m̃ / (√ṽ + epsHat)` — the same value in
 * 11 elementwise passes instead of 14. Scalars are fed per step, so schedules never rebuild the graph. A
 * parameter with `lrScale` s steps as a group at lr·s: `stepSize·s` and decay `1 − s·(1 − decay)` (two scalar ops).
 * Paper: Loshchilov & Hutter, https://arxiv.org/abs/1711.05101
 *
 * @example
 * const opt = adamw({ weightDecay: 0.05 });
 * opt.scalars(1, 1e-3); // { decay: 0.99995, stepSize: 0.0001, epsHat: 1e-8 }
 */
export function adamw(cfg: AdamWConfig = {}): Optimizer {
  const b1 = cfg.beta1 ?? 0.9;
  const b2 = cfg.beta2 ?? 0.999;
  const eps = cfg.eps ?? 1e-8;
  const wd = cfg.weightDecay ?? 0.01;
  const sqrt1b2 = Math.sqrt(1 - b2);
  return {
    kind: 'adamw',
    slots: ['m', 'v'],
    slotScale: { m: 1 / (1 - b1), v: 1 / (1 - b2) },
    scalarNames: ['decay', 'stepSize', 'epsHat'],
    scalars: (t, lr) => {
      const sqrtBc2 = Math.sqrt(1 - b2 ** t);
      return {
        decay: 1 - lr * wd,
        stepSize: (((lr * sqrtBc2) / (1 - b1 ** t)) * (1 - b1)) / sqrt1b2,
        epsHat: (eps * sqrtBc2) / sqrt1b2,
      };
    },
    update(p, g, { m, v }, s, decay, lrScale = 1) {
      const m2 = m.mul(b1).add(g);
      const v2 = v.mul(b2).add(g.square());
      const denom = v2.sqrt().add(s.epsHat);
      const stepSize = lrScale === 1 ? s.stepSize : s.stepSize.mul(lrScale);
      const keep = lrScale === 1 ? s.decay : s.decay.sub(1).mul(lrScale).add(1); // 1 − lr·s·wd
      const base = decay ? p.mul(keep) : p;
      return { p: base.sub(m2.div(denom).mul(stepSize)), state: { m: m2, v: v2 } };
    },
  };
}

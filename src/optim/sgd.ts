import type { Optimizer, UpdateResult } from './types.ts';

export interface SgdConfig {
  readonly momentum?: number;
  readonly nesterov?: boolean;
  readonly weightDecay?: number;
}

/**
 * SGD with momentum and optional Nesterov, `torch.optim.SGD` semantics (dampening 0, L2 weight decay added to
 * the gradient): g ← g + wd·p;  b ← μb + g;  p ← p − lr·(nesterov ? g + μb : b). `lrScale` s: lr·s for this
 * parameter.
 */
export function sgd(cfg: SgdConfig = {}): Optimizer {
  const mu = cfg.momentum ?? 0;
  const wd = cfg.weightDecay ?? 0;
  return {
    kind: 'sgd',
    slots: mu > 0 ? ['buf'] : [],
    scalarNames: ['lr'],
    scalars: (_t, lr) => ({ lr }),
    update(p, g0, state, s, decay, lrScale = 1): UpdateResult {
      const g = decay && wd > 0 ? g0.add(p.mul(wd)) : g0;
      const lr = lrScale === 1 ? s.lr : s.lr.mul(lrScale);
      if (mu === 0) return { p: p.sub(g.mul(lr)), state: {} };
      const buf = state.buf.mul(mu).add(g);
      const dir = cfg.nesterov ? g.add(buf.mul(mu)) : buf;
      return { p: p.sub(dir.mul(lr)), state: { buf } };
    },
  };
}

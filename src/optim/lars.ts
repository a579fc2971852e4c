import type { Optimizer } from './types.ts';

export interface LarsConfig {
  readonly momentum?: number;
  readonly weightDecay?: number;
  /** Trust coefficient η. */
  readonly eta?: number;
}

/**
 * LARS (You et al., https://arxiv.org/abs/1708.03888) as used by SimCLR/BYOL: for decayed tensors the local
 * rate is η‖p‖ / (‖g‖ + wd‖p‖) (1 when either norm is 0), applied to g + wd·p, then heavy-ball momentum.
 * Tensors in the no-decay group (biases, norms) skip both decay and adaptation, as in SimCLR. `lrScale` s: lr·s.
 */
export function lars(cfg: LarsConfig = {}): Optimizer {
  const mu = cfg.momentum ?? 0.9;
  const wd = cfg.weightDecay ?? 1e-6;
  const eta = cfg.eta ?? 0.001;
  return {
    kind: 'lars',
    slots: ['buf'],
    scalarNames: ['lr'],
    scalars: (_t, lr) => ({ lr }),
    update(p, g, { buf }, s, decay, lrScale = 1) {
      let d = g;
      if (decay) {
        d = g.add(p.mul(wd));
        const pn = p.square().sum().sqrt();
        const gn = g.square().sum().sqrt();
        const ok = pn.gt(0).cast('float32').mul(gn.gt(0).cast('float32'));
        const ratio = pn.mul(eta).div(gn.add(pn.mul(wd)).add(1e-12));
        const trust = ratio.mul(ok).add(ok.neg().add(1));
        d = d.mul(trust);
      }
      const b = buf.mul(mu).add(d);
      return { p: p.sub(b.mul(lrScale === 1 ? s.lr : s.lr.mul(lrScale))), state: { buf: b } };
    },
  };
}

/**
 * AdamW (Loshchilov & Hutter) on a flat float64 parameter vector, PyTorch defaults: β = (0.9, 0.999), ε = 1e-8,
 * decoupled weight decay 0.01. Used by the small full-batch heads in this layer (linear head, graph head).
 *
 * @example
 * const opt = new AdamW(theta.length, { lr: 0.1 }); opt.step(theta, grad);
 */
export class AdamW {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;
  constructor(
    size: number,
    private readonly o: { lr: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number },
  ) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  step(theta: Float64Array, grad: Float64Array): void {
    const { lr } = this.o;
    const b1 = this.o.beta1 ?? 0.9;
    const b2 = this.o.beta2 ?? 0.999;
    const eps = this.o.eps ?? 1e-8;
    const wd = this.o.weightDecay ?? 0.01;
    this.t++;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (let k = 0; k < theta.length; k++) {
      theta[k] *= 1 - lr * wd;
      const g = grad[k];
      this.m[k] = b1 * this.m[k] + (1 - b1) * g;
      this.v[k] = b2 * this.v[k] + (1 - b2) * g * g;
      theta[k] -= (lr * (this.m[k] / c1)) / (Math.sqrt(this.v[k] / c2) + eps);
    }
  }
}

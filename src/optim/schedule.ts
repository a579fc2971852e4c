/**
 * Linear warm-up then cosine decay to `minLr` (open_clip / SimCLR / CLIPin style). `step` counts from 0.
 *
 * @example
 * const lr = warmupCosine({ base: 1e-3, warmup: 100, total: 1000 });
 * lr(0); // 1e-5   lr(99); // 1e-3   lr(999); // ≈ 0
 */
export function warmupCosine(cfg: {
  base: number;
  warmup: number;
  total: number;
  minLr?: number;
}): (step: number) => number {
  const min = cfg.minLr ?? 0;
  return (step) => {
    if (step < cfg.warmup) return (cfg.base * (step + 1)) / cfg.warmup;
    const span = Math.max(1, cfg.total - cfg.warmup);
    const progress = Math.min(1, (step - cfg.warmup) / span);
    return min + 0.5 * (cfg.base - min) * (1 + Math.cos(Math.PI * progress));
  };
}

export const constantLr = (base: number) => (): number => base;

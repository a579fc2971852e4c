/**
 * CLIPin's plug-in heads and momentum target (Yang et al. 2025, https://arxiv.org/abs/2508.06434; methods.md §D.2,
 * §D.4) over any image and text towers: shared pre-projectors g, contrastive projectors c, non-contrastive
 * projectors p = BN(no affine) → GELU → Linear, four predictors q = Linear → BN → ReLU → Linear, and an EMA target
 * copy of (f, g, p) per modality updated in-graph.
 */
import { F, type Tensor } from '../../engine/index.ts';
import { mapTree, type Tree } from '../../engine/tree.ts';
import { batchNorm, type BatchNormParams } from '../../nn/batch-norm.ts';
import { isBuffer, type Ctx, type HostTensor, type Params } from '../../nn/context.ts';
import { linear, type LinearParams } from '../../nn/linear.ts';
import { mlp, type MlpParams } from '../../nn/mlp.ts';
import { emaUpdate } from '../../optim/ema.ts';
import type { Rng } from '../../util/rng.ts';

/** Head dimensions. The paper's (§D.2/§D.6) are `CLIPIN_PAPER_DIMS`; clade's defaults are CPU-sized. */
export interface ClipinDims {
  readonly preDim: number;
  readonly clipDim: number;
  readonly ncDim: number;
  readonly predHidden: number;
}
/** CLIPin's released code: pre-projector 1024, contrastive 512, non-contrastive 8192, predictor hidden 2048. */
export const CLIPIN_PAPER_DIMS: ClipinDims = { preDim: 1024, clipDim: 512, ncDim: 8192, predHidden: 2048 };
/** EMA momentum of the target, fixed (CLIPin code, methods.md §D.4). */
export const CLIPIN_MOMENTUM = 0.95;
/** λ_self, λ_comb are learnable, initialised to 1 and clamped to [0, 20] after every step (§D.3). */
export const CLIPIN_LAMBDA_INIT = 1;
export const CLIPIN_LAMBDA_RANGE: readonly [number, number] = [0, 20];

type NcProjector<L> = { readonly bn: BatchNormParams<L>; readonly lin: LinearParams<L> };
export interface ClipinHeads<L = Tensor> {
  readonly gI: LinearParams<L>; // [imgDim → pre]
  readonly gT: LinearParams<L>; // [txtDim → pre]
  readonly cI: LinearParams<L>; // [pre → clip]
  readonly cT: LinearParams<L>;
  readonly pI: NcProjector<L>; // [pre → nc]
  readonly pT: NcProjector<L>;
  readonly qIx: MlpParams<L>; // [nc → hidden → nc]
  readonly qTx: MlpParams<L>;
  readonly qIs: MlpParams<L>;
  readonly qTs: MlpParams<L>;
}

/** Online modules that have target copies (§D.2: encoders, pre-projectors, non-contrastive projectors). */
export const TARGET_KEYS = ['image', 'text', 'gI', 'gT', 'pI', 'pT'] as const;

export function initClipinHeads(
  rng: Rng,
  imgDim: number,
  txtDim: number,
  d: ClipinDims,
): ClipinHeads<HostTensor> {
  const nc = (r: Rng): NcProjector<HostTensor> => ({
    bn: batchNorm.init(d.preDim, { affine: false }),
    lin: linear.init(r, d.preDim, d.ncDim),
  });
  const q = (r: Rng) => mlp.init(r, [d.ncDim, d.predHidden, d.ncDim], { norm: 'batch' });
  return {
    gI: linear.init(rng.fork('gI'), imgDim, d.preDim),
    gT: linear.init(rng.fork('gT'), txtDim, d.preDim),
    cI: linear.init(rng.fork('cI'), d.preDim, d.clipDim),
    cT: linear.init(rng.fork('cT'), d.preDim, d.clipDim),
    pI: nc(rng.fork('pI')),
    pT: nc(rng.fork('pT')),
    qIx: q(rng.fork('qIx')),
    qTx: q(rng.fork('qTx')),
    qIs: q(rng.fork('qIs')),
    qTs: q(rng.fork('qTs')),
  };
}

/** Non-contrastive projector: BatchNorm1d(no affine) → GELU → Linear.  h [N, pre] → [N, nc] */
export function ncProject(p: NcProjector<Tensor>, h: Tensor, ctx: Ctx): Tensor {
  return linear.apply(p.lin, F.gelu(batchNorm.apply(p.bn, h, ctx), { saveCdf: ctx.train }));
}

/** Predictor Linear → BN → ReLU → Linear, output L2-normalised.  z [N, nc] → [N, nc] */
export function predict(p: MlpParams, z: Tensor, ctx: Ctx): Tensor {
  return F.l2normalize(mlp.apply(p, z, ctx, { activation: 'relu' }));
}

const isHost = (x: unknown): boolean =>
  x !== null && typeof x === 'object' && 'data' in x && ArrayBuffer.isView((x as HostTensor).data);
const copyHost = <T>(t: T): T =>
  mapTree<HostTensor, HostTensor>(
    t as Tree<HostTensor>,
    (h) => ({ shape: [...h.shape], data: h.data.slice() }),
    '',
    isHost,
  ) as T;

/**
 * The target as a copy of the online modules (`TARGET_KEYS`, BatchNorm buffers included) — at construction and,
 * unlike CLIPin's released code, again after loading weights (§D.4: "clade re-syncs the target").
 * Returns a new tree; `params` is not modified.
 */
export function syncTarget<P extends Params>(params: P): P {
  const p = params as Record<string, Params>;
  const target = Object.fromEntries(TARGET_KEYS.map((k) => [k, copyHost(p[k])]));
  return { ...p, target } as unknown as P;
}

/**
 * In-graph EMA of the target towards the online modules, `θ' ← m·θ' + (1 − m)·sg(θ)` (§D.4), recorded in
 * `ctx.updates` under the target's parameter paths, and returned for the target forward of this step (the
 * update runs before the target forward, as in the code). BatchNorm running statistics are not averaged: they
 * keep their own values (and the target's BatchNorm updates them from its own batches).
 */
export function emaTarget(
  p: Readonly<Record<string, Tree<Tensor>>>,
  ctx: Ctx,
  m = CLIPIN_MOMENTUM,
): Record<string, Tree<Tensor>> {
  const target = p.target as Record<string, Tree<Tensor>>;
  const out: Record<string, Tree<Tensor>> = {};
  for (const k of TARGET_KEYS) {
    const online = mapTree<Tensor, Tensor>(p[k], (t) => t.stopGradient());
    const moved = emaUpdate(target[k], online, m);
    const old = new Map<string, Tensor>();
    mapTree<Tensor, void>(target[k], (t, path) => void old.set(path, t));
    out[k] = mapTree<Tensor, Tensor>(moved, (t, path) => {
      const prev = old.get(path)!;
      if (isBuffer(prev.name ?? path)) return prev;
      ctx.updates.set(prev.name!, t);
      return t;
    });
  }
  return out;
}

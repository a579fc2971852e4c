/**
 * CLIPin's plug-in heads (Yang et al. 2025, https://arxiv.org/abs/2508.06434; docs/methods.md §D.2) over any image and
 * text towers: shared pre-projectors g, contrastive projectors c, non-contrastive projectors
 * p = BN(no affine) → GELU → Linear, and four predictors q = Linear → BN → ReLU → Linear.
 */
import { gelu, l2normalize } from '../../engine/functional/index.ts';
import type { Tensor } from '../../engine/tensor.ts';
import type { Rng } from '../../util/rng.ts';
import { batchNorm, type BatchNormParams } from '../batch-norm.ts';
import type { Ctx, HostTensor } from '../context.ts';
import { linear, type LinearParams } from '../linear.ts';
import { mlp, type MlpParams } from '../mlp.ts';

/** Head dimensions. The paper's (§D.2/§D.6) are `CLIPIN_PAPER_DIMS`; clade's defaults are CPU-sized. */
export interface ClipinDims {
  readonly preDim: number;
  readonly clipDim: number;
  readonly ncDim: number;
  readonly predHidden: number;
}
/** CLIPin's released code: pre-projector 1024, contrastive 512, non-contrastive 8192, predictor hidden 2048. */
export const CLIPIN_PAPER_DIMS: ClipinDims = { preDim: 1024, clipDim: 512, ncDim: 8192, predHidden: 2048 };

export type NcProjectorParams<L = Tensor> = {
  readonly bn: BatchNormParams<L>;
  readonly lin: LinearParams<L>;
};
export type ClipinHeadParams<L = Tensor> = {
  readonly gI: LinearParams<L>; // [imgDim → pre]
  readonly gT: LinearParams<L>; // [txtDim → pre]
  readonly cI: LinearParams<L>; // [pre → clip]
  readonly cT: LinearParams<L>;
  readonly pI: NcProjectorParams<L>; // [pre → nc]
  readonly pT: NcProjectorParams<L>;
  readonly qIx: MlpParams<L>; // [nc → hidden → nc]
  readonly qTx: MlpParams<L>;
  readonly qIs: MlpParams<L>;
  readonly qTs: MlpParams<L>;
};

export function initClipinHeads(
  rng: Rng,
  imgDim: number,
  txtDim: number,
  d: ClipinDims,
): ClipinHeadParams<HostTensor> {
  const nc = (r: Rng): NcProjectorParams<HostTensor> => ({
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
export function ncProject(p: NcProjectorParams, h: Tensor, ctx: Ctx): Tensor {
  return linear.apply(p.lin, gelu(batchNorm.apply(p.bn, h, ctx), { saveCdf: ctx.train }));
}

/** Predictor Linear → BN → ReLU → Linear, output L2-normalised.  z [N, nc] → [N, nc] */
export function predict(p: MlpParams, z: Tensor, ctx: Ctx): Tensor {
  return l2normalize(mlp.apply(p, z, ctx, { activation: 'relu' }));
}

import { F, prim, type Tensor } from '../../src/engine/index.ts';
import type { Params } from '../../src/nn/context.ts';
import type { StepSpec } from '../../src/train/step.ts';
import type { HostArray } from '../../src/engine/node.ts';
import { adamw } from '../../src/optim/adamw.ts';
import { Rng } from '../../src/util/rng.ts';
import { vit } from '../../src/nn/models/vit.ts';
import { textTransformer } from '../../src/nn/models/text-transformer.ts';

export interface BenchCase {
  readonly name: string;
  readonly title: string;
  /** The torch_bench.py case with the same model (default: `name`). */
  readonly torch?: string;
  spec(): StepSpec;
  batch(): Record<string, HostArray>;
}

const rng = new Rng(0);
const lin = (i: number, o: number) => ({
  w: { shape: [i, o], data: rng.uniformArray(i * o, -1 / Math.sqrt(i), 1 / Math.sqrt(i)) },
  b: { shape: [o], data: rng.uniformArray(o, -1 / Math.sqrt(i), 1 / Math.sqrt(i)) },
});
const conv = (i: number, o: number) => ({
  w: { shape: [o, i, 3, 3], data: rng.uniformArray(o * i * 9, -1 / Math.sqrt(i * 9), 1 / Math.sqrt(i * 9)) },
  b: { shape: [o], data: new Float32Array(o) },
});
const labels = (n: number, k: number) => BigInt64Array.from({ length: n }, () => BigInt(rng.int(k)));
const dense = (p: any, x: Tensor) => x.matmul(p.w).add(p.b);

export const mlp: BenchCase = {
  name: 'mlp',
  title: 'MLP 784-1024-1024-10, batch 256',
  spec: () => ({
    params: { l1: lin(784, 1024), l2: lin(1024, 1024), l3: lin(1024, 10) } as Params,
    batch: { x: { shape: [256, 784] }, y: { shape: [256], dtype: 'int64' } },
    loss: (p: any, b) => ({
      loss: F.crossEntropy(dense(p.l3, dense(p.l2, dense(p.l1, b.x).relu()).relu()), b.y),
    }),
    optimizer: adamw({ weightDecay: 0.01 }),
  }),
  batch: () => ({ x: rng.normalArray(256 * 784), y: labels(256, 10) }),
};

const convApply = (p: any, x: Tensor, s: number) =>
  prim('conv2d', [x, p.w, p.b], { strides: [s, s], pads: [1, 1, 1, 1], group: 1 });

export const cnn: BenchCase = {
  name: 'cnn',
  title: 'CNN 3x32x32: conv 32 s1, 64 s2, 128 s2, GAP, linear 10; batch 128',
  spec: () => ({
    params: { c1: conv(3, 32), c2: conv(32, 64), c3: conv(64, 128), fc: lin(128, 10) } as Params,
    batch: { x: { shape: [128, 3, 32, 32] }, y: { shape: [128], dtype: 'int64' } },
    loss: (p: any, b) => {
      const h = convApply(p.c3, convApply(p.c2, convApply(p.c1, b.x, 1).relu(), 2).relu(), 2).relu();
      return { loss: F.crossEntropy(dense(p.fc, h.mean([2, 3])), b.y) };
    },
    optimizer: adamw({ weightDecay: 0.01 }),
  }),
  batch: () => ({ x: rng.normalArray(128 * 3 * 32 * 32), y: labels(128, 10) }),
};

const vitModel = vit({ image: 32, patch: 4, width: 192, depth: 6, heads: 3, mlp: 768, outDim: 10 });
export const vitTiny: BenchCase = {
  name: 'vit',
  title: 'ViT-tiny 32x32 (patch 4, width 192, depth 6, 3 heads, MLP 768), batch 128',
  spec: () => ({
    params: vitModel.init(rng) as Params,
    batch: { x: { shape: [128, 3, 32, 32] }, y: { shape: [128], dtype: 'int64' } },
    loss: (p: any, b, ctx) => ({ loss: F.crossEntropy(vitModel.apply(p, b.x, ctx), b.y) }),
    optimizer: adamw({ weightDecay: 0.01 }),
  }),
  batch: () => ({ x: rng.normalArray(128 * 3 * 32 * 32), y: labels(128, 10) }),
};

const textModel = textTransformer({ vocab: 8192, context: 32, width: 256, depth: 4, heads: 4, outDim: 256 });
export const text: BenchCase = {
  name: 'text',
  title: 'causal text transformer (context 32, width 256, 4 layers, 4 heads, vocab 8192), batch 128',
  spec: () => ({
    params: textModel.init(rng) as Params,
    batch: {
      ids: { shape: [128, 32], dtype: 'int64' },
      eot: { shape: [128], dtype: 'int64' },
      target: { shape: [128, 256] },
    },
    loss: (p: any, b, ctx) => ({ loss: textModel.apply(p, b.ids, ctx, b.eot).sub(b.target).square().mean() }),
    optimizer: adamw({ weightDecay: 0.01 }),
  }),
  batch: () => ({
    ids: BigInt64Array.from({ length: 128 * 32 }, () => BigInt(rng.int(8192))),
    eot: BigInt64Array.from({ length: 128 }, () => BigInt(rng.int(32))),
    target: rng.normalArray(128 * 256),
  }),
};

/** The MLP with `train.unroll` 4: four optimizer steps per graph run (the same steps, fewer state round-trips). */
export const mlpUnroll4: BenchCase = {
  ...mlp,
  name: 'mlp-unroll4',
  title: 'MLP 784-1024-1024-10, batch 256, train.unroll 4',
  torch: 'mlp',
  spec: () => ({ ...mlp.spec(), unroll: 4 }),
};

/** The text transformer (5.3 M parameters) with `train.unroll` 2. */
export const textUnroll2: BenchCase = {
  ...text,
  name: 'text-unroll2',
  title: `${text.title}, train.unroll 2`,
  torch: 'text',
  spec: () => ({ ...text.spec(), unroll: 2 }),
};

export const CASES: readonly BenchCase[] = [mlp, mlpUnroll4, cnn, vitTiny, text, textUnroll2];

import { constant, type Tensor } from '../../engine/tensor.ts';
import { CladeError } from '../../util/errors.ts';
import { normalInit, type HostTensor } from '../context.ts';
import { dropout } from '../dropout.ts';
import { embedding, type EmbeddingParams } from '../embedding.ts';
import { layerNorm, type LayerNormParams } from '../layer-norm.ts';
import { linear, type LinearParams } from '../linear.ts';
import { transformerBlock, type BlockActivation, type TransformerBlockParams } from '../transformer-block.ts';
import type { Model } from './model.ts';

export interface TextTransformerConfig {
  readonly vocab: number;
  /** Maximum sequence length T (position embeddings). */
  readonly context: number;
  readonly width: number;
  readonly depth: number;
  readonly heads: number;
  /** MLP hidden size (default 4·width). */
  readonly mlp?: number;
  /** Text projection [width, outDim] without bias (CLIP); without it the model returns [B, width]. */
  readonly outDim?: number;
  readonly dropout?: number;
  /** Causal attention mask (default true; open_clip's `no_causal_mask` turns it off). */
  readonly causal?: boolean;
  /** A bias on the text projection (open_clip's `proj_bias`: `proj` is then a linear `{ w, b }`). */
  readonly projBias?: boolean;
  /** MLP activation (default 'gelu'). */
  readonly activation?: BlockActivation;
  /** LayerScale init value: blocks get `ls1`, `ls2` (open_clip's `ls_init_value`). */
  readonly layerScale?: number;
  /** LayerNorm epsilon (default 1e-5). */
  readonly lnEps?: number;
}

export type TextTransformerParams<L = Tensor> = {
  readonly token: EmbeddingParams<L>; // [V, D]
  readonly pos: L; // [T, D]
  readonly blocks: readonly TransformerBlockParams<L>[];
  readonly ln: LayerNormParams<L>;
  /** [D, outDim], or a linear `{ w [D, outDim], b [outDim] }` with `projBias`. */
  readonly proj?: L | LinearParams<L>;
};

/**
 * Rows of `x` [B, T, D] at each sequence's end-of-text position `eot` [B] (int64): a gather of the flattened
 * [B·T, D] at b·T + eot[b], the flat index built in-graph.
 */
export function gatherPositions(x: Tensor /* [B, T, D] */, eot: Tensor /* [B] int64 */): Tensor /* [B, D] */ {
  const [b, t, d] = x.shape;
  if (eot.dtype !== 'int64' || eot.rank !== 1 || eot.shape[0] !== b)
    throw new CladeError(`text transformer: eot must be int64 [${b}], got ${eot.dtype} [${eot.shape}]`);
  const offsets = constant(
    BigInt64Array.from({ length: b }, (_, i) => BigInt(i * t)),
    [b],
    'int64',
  );
  return x.reshape([b * t, d]).gather(offsets.add(eot));
}

/**
 * CLIP-style causal text transformer (docs/methods.md §D.2): token + position embeddings, causal pre-norm blocks,
 * final LayerNorm, pooled at the end-of-text token, then the text projection. Init as CLIP: token
 * embeddings N(0, 0.02²), positions N(0, 0.01²), projection N(0, 1/width).
 *
 * @example
 * const m = textTransformer({ vocab: 8192, context: 32, width: 256, depth: 4, heads: 4, outDim: 256 });
 * const e = m.apply(paramInputs(m.init(rng)), ids, ctx, eot);   // ids [B, T] int64, eot [B] int64 -> [B, 256]
 */
export function textTransformer(
  config: TextTransformerConfig,
): Model<TextTransformerParams<HostTensor>, TextTransformerConfig, Tensor, [eot: Tensor]> {
  const { vocab, context, width, depth, heads } = config;
  if (width % heads !== 0)
    throw new CladeError(`text transformer: heads must divide width`, { width, heads });
  return {
    name: 'textTransformer',
    config,
    init(rng) {
      const params = {
        token: embedding.init(rng, vocab, width, { std: 0.02 }),
        pos: normalInit(rng, [context, width], 0.01),
        blocks: Array.from({ length: depth }, () =>
          transformerBlock.init(rng, width, config.mlp ?? 4 * width, { layerScale: config.layerScale }),
        ),
        ln: layerNorm.init(width),
      };
      if (!config.outDim) return params;
      const w = normalInit(rng, [width, config.outDim], width ** -0.5);
      return {
        ...params,
        proj: config.projBias
          ? { w, b: { shape: [config.outDim], data: new Float32Array(config.outDim) } }
          : w,
      };
    },
    apply(p, ids /* [B, T] int64 */, ctx, eot /* [B] int64 */) {
      const t = ids.shape[1];
      if (ids.rank !== 2 || ids.dtype !== 'int64' || t > context)
        throw new CladeError(
          `text transformer: ids must be int64 [B, T ≤ ${context}], got ${ids.dtype} [${ids.shape}]`,
        );
      const pos = t === context ? p.pos : p.pos.slice([0], [0], [t]);
      let h = dropout(embedding.apply(p.token, ids).add(pos), config.dropout ?? 0, ctx); // [B, T, D]
      const blockOpts = {
        heads,
        causal: config.causal ?? true,
        dropout: config.dropout,
        activation: config.activation,
        lnEps: config.lnEps,
      };
      for (const block of p.blocks) h = transformerBlock.apply(block, h, blockOpts, ctx);
      // LayerNorm acts per token, so gathering the end-of-text rows first and normalising B rows is the same.
      const pooled = layerNorm.apply(p.ln, gatherPositions(h, eot), config.lnEps); // [B, D]
      if (!p.proj) return pooled;
      return 'w' in p.proj ? linear.apply(p.proj, pooled) : pooled.matmul(p.proj);
    },
  };
}

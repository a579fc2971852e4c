/** The nn layer: modules and models as `{ init, apply }` pairs over parameter trees. */
export { Ctx, filled, isBuffer, normalInit, paramInputs, sampleDropoutMask, uniformInit } from './context.ts';
export type { HostTensor, Params, RandomInput, SymParams, Symbolic } from './context.ts';
export { attention } from './attention.ts';
export type { AttentionOptions, AttentionParams } from './attention.ts';
export { batchNorm } from './batch-norm.ts';
export type { BatchNormOptions, BatchNormParams } from './batch-norm.ts';
export { conv2d } from './conv2d.ts';
export type { Conv2dOptions, Conv2dParams } from './conv2d.ts';
export { dropout } from './dropout.ts';
export { embedding } from './embedding.ts';
export type { EmbeddingParams } from './embedding.ts';
export { layerNorm } from './layer-norm.ts';
export type { LayerNormParams } from './layer-norm.ts';
export { linear } from './linear.ts';
export type { LinearOptions, LinearParams } from './linear.ts';
export { activate, mlp } from './mlp.ts';
export type {
  Activation,
  MlpApplyOptions,
  MlpInitOptions,
  MlpLayerParams,
  MlpNorm,
  MlpParams,
} from './mlp.ts';
export { parameterCount } from './parameter-count.ts';
export { avgPool, globalAvgPool, maxPool } from './pooling.ts';
export { transformerBlock } from './transformer-block.ts';
export type { TransformerBlockOptions, TransformerBlockParams } from './transformer-block.ts';
export type { Model } from './models/model.ts';
export { cifarResNet18 } from './models/resnet.ts';
export type { BasicBlockParams, ResNetConfig, ResNetParams } from './models/resnet.ts';
export { projectionHead } from './models/projection-head.ts';
export type { ProjectionHeadConfig } from './models/projection-head.ts';
export { smallCnn } from './models/small-cnn.ts';
export type { SmallCnnConfig, SmallCnnParams } from './models/small-cnn.ts';
export { gatherPositions, textTransformer } from './models/text-transformer.ts';
export type { TextTransformerConfig, TextTransformerParams } from './models/text-transformer.ts';
export { patchify, vit } from './models/vit.ts';
export type { VitConfig, VitParams } from './models/vit.ts';

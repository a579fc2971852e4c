/**
 * The ONNX versions clade emits, pinned in one place. Opset 18 takes reduce axes as inputs and has
 * LayerNormalization; ORT 1.30 loads opsets 17-24. `com.microsoft` supplies FusedMatMul (transposed batched
 * matmul, used by attention backward).
 */
export const IR_VERSION = 8;
export const OPSET = 18;
export const MS_DOMAIN = 'com.microsoft';
export const MS_OPSET = 1;
/** ORT's blocked-layout convolution domain (ReorderInput / Conv / ReorderOutput), CPU only. */
export const NCHWC_DOMAIN = 'com.microsoft.nchwc';

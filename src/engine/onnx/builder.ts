import type { DType } from '../ir/ops.ts';
import type { Tensor } from '../tensor.ts';
import { type AttrValue, attribute, ELEM_TYPE, onnx } from './proto.ts';
import { MS_DOMAIN, NCHWC_DOMAIN } from './opset.ts';
import type onnxProto from 'onnx-proto';

/** Accumulates ONNX nodes and initializers for one graph; hands out unique value names. */
export class OnnxBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly memo = new Map<string, string[]>();
  private counter = 0;
  /** True once a com.microsoft node is emitted (the model then imports that domain). */
  usesMsDomain = false;
  /** True once a com.microsoft.nchwc node is emitted. */
  usesNchwcDomain = false;

  /**
   * @param standardOps emit only standard ONNX ops: the com.microsoft contrib ops (Gelu, FusedMatMul) are written
   *   as their standard-op equivalents, which any ONNX runtime (onnxruntime-web included) loads.
   * @param nchwcBlock ORT's NCHWc channel block on this CPU (16 with AVX-512, 8 with AVX2), or 0: convolutions
   *   are then emitted as ORT's blocked-layout kernels (see emit-rules `conv2d`). Never with `standardOps`.
   */
  constructor(
    readonly standardOps = false,
    readonly nchwcBlock = 0,
  ) {}

  fresh(prefix = 'v'): string {
    return `_${prefix}${this.counter++}`;
  }

  /** Add a node; returns its output names (fresh unless given). */
  node(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    opts: { outputs?: readonly string[]; numOutputs?: number; domain?: string } = {},
  ): string[] {
    const outputs = opts.outputs
      ? [...opts.outputs]
      : Array.from({ length: opts.numOutputs ?? 1 }, () => this.fresh());
    this.nodes.push({
      opType,
      input: [...inputs],
      output: outputs,
      name: `${opType}_${this.nodes.length}`,
      domain: opts.domain ?? '',
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outputs;
  }

  msNode(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue>,
    outputs: readonly string[],
  ): string[] {
    if (this.standardOps) throw new Error(`com.microsoft ${opType} requested in a standard-ops graph`);
    this.usesMsDomain = true;
    return this.node(opType, inputs, attrs, { outputs, domain: MS_DOMAIN });
  }

  /** A com.microsoft.nchwc node (ORT CPU only). */
  nchwcNode(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue>,
    outputs?: readonly string[],
  ): string[] {
    this.usesNchwcDomain = true;
    return this.node(opType, inputs, attrs, { outputs, domain: NCHWC_DOMAIN });
  }

  /** Emit once per key (a shared multi-output node such as TopK). */
  once(key: string, make: () => string[]): string[] {
    let v = this.memo.get(key);
    if (!v) {
      v = make();
      this.memo.set(key, v);
    }
    return v;
  }

  /** The outputs memoised under `key`, if any. */
  peek(key: string): string[] | undefined {
    return this.memo.get(key);
  }

  initializer(
    name: string,
    dtype: DType,
    dims: readonly number[],
    data: Float32Array | BigInt64Array | Uint8Array,
  ): string {
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push({ name, dataType: ELEM_TYPE[dtype], dims: [...dims], rawData: raw.slice() });
    return name;
  }

  /** A memoised float32 scalar constant. */
  scalar(value: number): string {
    return this.once(`f32:${value}`, () => [
      this.initializer(this.fresh('s'), 'float32', [], new Float32Array([value])),
    ])[0];
  }

  /** A memoised int64 vector constant (axes, shapes, pads). */
  int64s(values: readonly number[]): string {
    return this.once(`i64:${values.join(',')}`, () => [
      this.initializer(this.fresh('i'), 'int64', [values.length], BigInt64Array.from(values.map(BigInt))),
    ])[0];
  }
}

/**
 * Emits one node's ONNX. It writes its result to `out`, or returns the name of an existing value that already
 * holds it (a shared multi-output node), which the exporter then uses instead of copying. Any other return
 * value (a node's output list) is ignored.
 */
export type Emitter<A> = (
  b: OnnxBuilder,
  ins: readonly string[],
  out: string,
  attrs: A,
  node: Tensor,
) => string | string[] | void;
export { onnx };

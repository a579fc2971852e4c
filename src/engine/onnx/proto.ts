import onnxProto from 'onnx-proto';
import type { DType } from '../ir/ops.ts';

/** The protobuf classes for ONNX (onnx-proto's generated protobufjs code). */
export const onnx = onnxProto.onnx;

export const ELEM_TYPE: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

export type AttrValue = number | string | readonly number[] | { float: number };

export function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return { name, type: A.INT, i: v };
  if (Array.isArray(v)) return { name, type: A.INTS, ints: [...v] };
  return { name, type: A.FLOAT, f: (v as { float: number }).float };
}

export function valueInfo(
  name: string,
  dtype: DType,
  shape: readonly number[],
): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: ELEM_TYPE[dtype], shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
  };
}

import { INFER } from './ir/infer.ts';
import type { DType, LeafOp, Op, OpAttrs, PrimOp, Shape } from './ir/ops.ts';
import { fmt, normAxis, size } from './ir/shape.ts';

export type TypedValue = Float32Array | BigInt64Array | Uint8Array;

let nextId = 0;

/**
 * A symbolic tensor: one node of the traced graph. Building a node runs shape and dtype inference, so a shape
 * error is thrown at the line that wrote the bad op.
 *
 * @example
 * const x = input('x', [32, 784]);
 * const w = input('w', [784, 10]);
 * const logits = x.matmul(w);           // shape [32, 10]
 */
export class Tensor {
  readonly id = nextId++;
  constructor(
    readonly op: Op,
    readonly inputs: readonly Tensor[],
    readonly attrs: OpAttrs[PrimOp] | Record<string, never>,
    readonly shape: Shape,
    readonly dtype: DType,
    /** Graph-input name (op 'input') . */
    readonly name?: string,
    /** Constant value (op 'constant'). */
    readonly value?: TypedValue,
  ) {}

  get rank(): number {
    return this.shape.length;
  }
  get size(): number {
    return size(this.shape);
  }

  add(b: Tensor | number): Tensor {
    return prim('add', [this, lift(b, this)], {});
  }
  sub(b: Tensor | number): Tensor {
    return prim('sub', [this, lift(b, this)], {});
  }
  mul(b: Tensor | number): Tensor {
    return prim('mul', [this, lift(b, this)], {});
  }
  div(b: Tensor | number): Tensor {
    return prim('div', [this, lift(b, this)], {});
  }
  maximum(b: Tensor | number): Tensor {
    return prim('max', [this, lift(b, this)], {});
  }
  minimum(b: Tensor | number): Tensor {
    return prim('min', [this, lift(b, this)], {});
  }
  gt(b: Tensor | number): Tensor {
    return prim('greater', [this, lift(b, this)], {});
  }
  eq(b: Tensor | number): Tensor {
    return prim('equal', [this, lift(b, this)], {});
  }
  neg(): Tensor {
    return prim('neg', [this], {});
  }
  exp(): Tensor {
    return prim('exp', [this], {});
  }
  log(): Tensor {
    return prim('log', [this], {});
  }
  sqrt(): Tensor {
    return prim('sqrt', [this], {});
  }
  tanh(): Tensor {
    return prim('tanh', [this], {});
  }
  sigmoid(): Tensor {
    return prim('sigmoid', [this], {});
  }
  softplus(): Tensor {
    return prim('softplus', [this], {});
  }
  relu(): Tensor {
    return prim('relu', [this], {});
  }
  erf(): Tensor {
    return prim('erf', [this], {});
  }
  abs(): Tensor {
    return prim('abs', [this], {});
  }
  acos(): Tensor {
    return prim('acos', [this], {});
  }
  square(): Tensor {
    return this.mul(this);
  }
  cast(to: DType): Tensor {
    return to === this.dtype ? this : prim('cast', [this], { to });
  }
  /** Blocks gradients: the value passes, the cotangent does not. */
  stopGradient(): Tensor {
    return prim('stopGradient', [this], {});
  }
  /** [..., M, K] x [..., K, N] -> [..., M, N]; `transA`/`transB` transpose the last two axes of an operand. */
  matmul(b: Tensor, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
    return prim('matmul', [this, b], { transA: opts.transA ?? false, transB: opts.transB ?? false });
  }
  sum(axes?: number | readonly number[], keepDims = false): Tensor {
    return prim('reduceSum', [this], { axes: axesOf(axes, this.rank), keepDims });
  }
  max(axes?: number | readonly number[], keepDims = false): Tensor {
    return prim('reduceMax', [this], { axes: axesOf(axes, this.rank), keepDims });
  }
  mean(axes?: number | readonly number[], keepDims = false): Tensor {
    const ax = axesOf(axes, this.rank);
    const count = ax.reduce((n, a) => n * this.shape[a], 1);
    return this.sum(ax, keepDims).mul(1 / count);
  }
  softmax(axis = -1): Tensor {
    return prim('softmax', [this], { axis: normAxis(axis, this.rank) });
  }
  logSoftmax(axis = -1): Tensor {
    return prim('logSoftmax', [this], { axis: normAxis(axis, this.rank) });
  }
  reshape(shape: Shape): Tensor {
    return prim('reshape', [this], { shape });
  }
  transpose(perm: readonly number[]): Tensor {
    return prim('transpose', [this], { perm });
  }
  /** Swap the last two axes. */
  get T(): Tensor {
    const p = this.shape.map((_, i) => i);
    [p[this.rank - 2], p[this.rank - 1]] = [p[this.rank - 1], p[this.rank - 2]];
    return this.transpose(p);
  }
  expand(shape: Shape): Tensor {
    return prim('expand', [this], { shape });
  }
  slice(axes: readonly number[], starts: readonly number[], ends: readonly number[]): Tensor {
    return prim('slice', [this], { axes: axes.map((a) => normAxis(a, this.rank)), starts, ends });
  }
  /** Zero padding; `pads` in ONNX order (all begins, then all ends). */
  pad(pads: readonly number[]): Tensor {
    return prim('pad', [this], { pads });
  }
  /** Rows along axis 0 picked by int64 `indices`. */
  gather(indices: Tensor): Tensor {
    return prim('gather', [this, indices], {});
  }
  topK(k: number): { values: Tensor; indices: Tensor } {
    return {
      values: prim('topK', [this], { k, part: 'values' }),
      indices: prim('topK', [this], { k, part: 'indices' }),
    };
  }
  toString(): string {
    return `Tensor(${this.op}#${this.id}${this.name ? ` '${this.name}'` : ''}, ${fmt(this.shape)}, ${this.dtype})`;
  }
}

/** An error in building a graph: names the op, the shapes involved and the caller's source line. */
export class GraphError extends Error {
  override name = 'GraphError';
}

/** Build a primitive node, running its shape rule. */
export function prim<K extends PrimOp>(op: K, inputs: readonly Tensor[], attrs: OpAttrs[K]): Tensor {
  let meta;
  try {
    meta = INFER[op](inputs, attrs);
  } catch (e) {
    const shapes = inputs.map((t) => fmt(t.shape)).join(', ');
    throw new GraphError(`${op}(${shapes}): ${(e as Error).message}${callSite()}`);
  }
  return new Tensor(op, inputs, attrs, meta.shape, meta.dtype);
}

/** A named graph input (data, parameter, optimizer state, scalar hyperparameter). */
export function input(name: string, shape: Shape, dtype: DType = 'float32'): Tensor {
  if (shape.some((d) => !Number.isInteger(d) || d < 0))
    throw new GraphError(`input '${name}': bad shape ${fmt(shape)}`);
  return new Tensor('input' satisfies LeafOp, [], {}, shape, dtype, name);
}

/** A constant baked into the graph. */
export function constant(
  value: ArrayLike<number> | number | TypedValue,
  shape: Shape = [],
  dtype: DType = 'float32',
): Tensor {
  const n = size(shape);
  let v: TypedValue;
  if (value instanceof Float32Array || value instanceof BigInt64Array || value instanceof Uint8Array)
    v = value;
  else {
    const arr = typeof value === 'number' ? new Array(n).fill(value) : Array.from(value as ArrayLike<number>);
    v =
      dtype === 'int64'
        ? BigInt64Array.from(arr.map((x) => BigInt(x)))
        : dtype === 'bool'
          ? Uint8Array.from(arr)
          : Float32Array.from(arr);
  }
  if (v.length !== n) throw new GraphError(`constant: ${v.length} values for shape ${fmt(shape)}`);
  return new Tensor('constant', [], {}, shape, dtype, undefined, v);
}

export const scalar = (x: number, dtype: DType = 'float32'): Tensor => constant(x, [], dtype);

function lift(b: Tensor | number, like: Tensor): Tensor {
  return typeof b === 'number' ? scalar(b, like.dtype) : b;
}

function axesOf(axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  return (typeof axes === 'number' ? [axes] : [...axes]).map((a) => normAxis(a, rank)).sort((a, b) => a - b);
}

/** The first stack frame outside the engine, so errors point at the user's line. */
function callSite(): string {
  const lines = (new Error().stack ?? '').split('\n').slice(1);
  const frame = lines.find((l) => !/[\\/]src[\\/]engine[\\/]/.test(l) && !l.includes('node:'));
  return frame ? ` (at ${frame.trim().replace(/^at /, '')})` : '';
}

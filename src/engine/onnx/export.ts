import type { Graph } from '../graph.ts';
import type { PrimOp } from '../ir/ops.ts';
import type { Tensor } from '../tensor.ts';
import { type Emitter, OnnxBuilder, onnx } from './builder.ts';
import { EMIT } from './emit-rules.ts';
import { IR_VERSION, MS_DOMAIN, MS_OPSET, NCHWC_DOMAIN, OPSET } from './opset.ts';
import { valueInfo } from './proto.ts';

/**
 * Serialise a graph as an ONNX model (IR 8, opset 18). Forward-only graphs are plain inference models that any
 * ONNX Runtime (Node, browser, Python) loads: this is clade's export format. `ops: 'standard'` emits only standard
 * ONNX ops (no com.microsoft Gelu / FusedMatMul; what exported towers use, so onnxruntime-web and other runtimes
 * load them); the default `'contrib'` keeps ORT's contrib ops (training graphs).
 */
export function toOnnx(
  graph: Graph,
  opts: { name?: string; docString?: string; ops?: 'standard' | 'contrib'; nchwcBlock?: number } = {},
): Uint8Array {
  const b = new OnnxBuilder(opts.ops === 'standard', opts.ops === 'standard' ? 0 : (opts.nchwcBlock ?? 0));
  const names = new Map<Tensor, string>();
  const outputOf = new Map<Tensor, string>();
  for (const [name, t] of Object.entries(graph.outputs)) if (!outputOf.has(t)) outputOf.set(t, name);

  for (const t of graph.inputs) names.set(t, t.name!);
  for (const n of graph.nodes) {
    if (n.op === 'input') continue;
    if (n.op === 'constant') {
      names.set(n, b.initializer(b.fresh('c'), n.dtype, n.shape, n.value!));
      continue;
    }
    const ins = n.inputs.map((i) => names.get(i)!);
    // stopGradient is the identity in the forward pass: alias its input instead of emitting a copy.
    if (n.op === 'stopGradient' && !outputOf.has(n)) {
      names.set(n, ins[0]);
      continue;
    }
    const out = outputOf.get(n) ?? b.fresh('t');
    const alias = (EMIT[n.op] as Emitter<unknown>)(b, ins, out, n.attrs, n);
    names.set(n, typeof alias === 'string' ? alias : out);
  }
  // Outputs that are inputs, constants, or a second name for one tensor need an Identity (which copies).
  for (const [name, t] of Object.entries(graph.outputs)) {
    if (names.get(t) !== name) b.node('Identity', [names.get(t)!], {}, { outputs: [name] });
  }

  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'clade',
    opsetImport: [
      { domain: '', version: OPSET },
      ...(b.usesMsDomain ? [{ domain: MS_DOMAIN, version: MS_OPSET }] : []),
      ...(b.usesNchwcDomain ? [{ domain: NCHWC_DOMAIN, version: 1 }] : []),
    ],
    docString: opts.docString ?? '',
    graph: {
      name: opts.name ?? 'clade',
      node: b.nodes,
      initializer: b.initializers,
      input: graph.inputs.map((t) => valueInfo(t.name!, t.dtype, t.shape)),
      output: Object.entries(graph.outputs).map(([k, t]) => valueInfo(k, t.dtype, t.shape)),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

export type { PrimOp };

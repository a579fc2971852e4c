import type { Graph } from '../graph.ts';
import type { OpAttrs, PrimOp } from '../ir/ops.ts';
import type { Tensor } from '../tensor.ts';
import { type Emitter, OnnxBuilder, onnx } from './builder.ts';
import { EMIT, nchwcConv } from './emit-rules.ts';
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
  const reluAfter = b.nchwcBlock ? convReluPairs(graph, outputOf) : new Map<Tensor, Tensor>();
  for (const n of graph.nodes) {
    if (n.op === 'input' || names.has(n)) continue;
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
    const relu = reluAfter.get(n);
    if (relu) {
      // conv2d → relu as one NCHWc conv with its activation, named as the relu (the conv has no other reader).
      const reluOut = outputOf.get(relu) ?? b.fresh('t');
      if (nchwcConv(b, ins, reluOut, n.attrs as OpAttrs['conv2d'], n, 'Relu')) {
        names.set(n, reluOut); // never read: the relu was its only consumer
        names.set(relu, reluOut);
        continue;
      }
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

/** conv2d nodes whose only reader is a relu (and which are not graph outputs), mapped to that relu. */
function convReluPairs(graph: Graph, outputOf: ReadonlyMap<Tensor, string>): Map<Tensor, Tensor> {
  const readers = new Map<Tensor, Tensor[]>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, [...(readers.get(i) ?? []), n]);
  const pairs = new Map<Tensor, Tensor>();
  for (const n of graph.nodes) {
    const r = readers.get(n);
    if (n.op === 'conv2d' && !outputOf.has(n) && r?.length === 1 && r[0].op === 'relu') pairs.set(n, r[0]);
  }
  return pairs;
}

export type { PrimOp };

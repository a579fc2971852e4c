import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { Graph } from '../graph.ts';
import type { DType, Shape } from '../ir/ops.ts';
import { fmt, size } from '../ir/shape.ts';
import { toOnnx } from '../onnx/export.ts';
import { IR_VERSION, NCHWC_DOMAIN, OPSET } from '../onnx/opset.ts';
import { onnx, valueInfo } from '../onnx/proto.ts';

export type HostArray = Float32Array | BigInt64Array | Uint8Array;
const ORT_TYPE: Record<DType, 'float32' | 'int64' | 'bool'> = {
  float32: 'float32',
  int64: 'int64',
  bool: 'bool',
};

const sessions = new Map<string, Promise<ort.InferenceSession>>();

/**
 * Session options: threads = cores, sequential, all graph optimisations, and intra-op threads that spin for at
 * most 50 µs before sleeping. Unbounded spinning (ORT's default) is what the engine guide measured on a quiet
 * machine; on a loaded one (other processes on the same cores) the spinning workers steal the time slices the
 * working thread needs: interleaved on the 2-core Intel machine at load 14, the MLP step ran 2.2× and the CNN
 * step 1.5× faster with a 50 µs / 10 µs bound, and at load 4 a 100 µs bound matched unbounded spinning
 * (bench/engine/ab.ts, docs/benchmarks.md). MatMul + bias stays two nodes: ORT's fused Gemm copies the broadcast
 * bias into its output on one thread before the GEMM, so the fusion made the ViT step 1.09x and the text step
 * 1.03x slower (interleaved A/B on AMD EPYC Zen 5; text 1.03x on the Intel Xeon too; MLP and CNN unchanged).
 */
export function sessionOptions(): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: availableParallelism(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: {
      session: { 'intra_op.spin_duration_us': '50' },
      optimization: { disable_specified_optimizers: 'MatMulAddFusion' },
    },
  } as ort.InferenceSession.SessionOptions;
}

/**
 * A graph compiled for ONNX Runtime. Sessions are cached by the hash of the model bytes, so re-tracing the same
 * computation at the same shapes reuses the session.
 *
 * @example
 * const g = defineGraph([x], { y: x.exp() });
 * const run = await compile(g);
 * const { y } = await run.run({ x: new Float32Array([0, 1]) });
 */
export class Compiled {
  private constructor(
    readonly graph: Graph,
    readonly session: ort.InferenceSession,
    readonly modelBytes: Uint8Array,
    readonly hash: string,
  ) {}

  static async create(graph: Graph): Promise<Compiled> {
    const bytes = toOnnx(graph, { nchwcBlock: await nchwcBlockSize() });
    const hash = createHash('sha256').update(bytes).digest('hex');
    let s = sessions.get(hash);
    if (!s) {
      s = ort.InferenceSession.create(bytes, sessionOptions());
      sessions.set(hash, s);
      s.catch(() => sessions.delete(hash));
    }
    return new Compiled(graph, await s, bytes, hash);
  }

  /**
   * Run with host arrays. `into` supplies caller-owned output buffers (ORT writes into them instead of
   * allocating), which is how training cycles parameters and optimizer state without fresh allocations.
   */
  async run(
    feeds: Record<string, HostArray>,
    into: Record<string, HostArray> = {},
  ): Promise<Record<string, HostArray>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const t of this.graph.inputs) {
      const data = feeds[t.name!];
      if (!data) throw new Error(`run: missing feed '${t.name}' ${fmt(t.shape)}`);
      ortFeeds[t.name!] = tensorOf(t.name!, t.dtype, t.shape, data);
    }
    const fetches: Record<string, ort.Tensor | null> = {};
    for (const [name, t] of Object.entries(this.graph.outputs)) {
      const buf = into[name];
      fetches[name] = buf ? tensorOf(name, t.dtype, t.shape, buf) : null;
    }
    const res = await this.session.run(ortFeeds, fetches);
    const out: Record<string, HostArray> = {};
    for (const name of Object.keys(this.graph.outputs))
      out[name] = into[name] ?? (res[name].data as HostArray);
    return out;
  }
}

export const compile = (graph: Graph): Promise<Compiled> => Compiled.create(graph);

let nchwcBlock: Promise<number> | undefined;
/**
 * ORT's NCHWc channel block on this CPU (16 with AVX-512, 8 with AVX2; 0 when the kernels are unavailable or
 * `CLADE_NCHWC=0`), read from the channel padding of a one-node ReorderInput model.
 */
export function nchwcBlockSize(): Promise<number> {
  if (process.env.CLADE_NCHWC === '0') return Promise.resolve(0);
  nchwcBlock ??= (async () => {
    const vi = (name: string, dims: number[]) => valueInfo(name, 'float32', dims);
    const model = onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: IR_VERSION,
        opsetImport: [
          { domain: '', version: OPSET },
          { domain: NCHWC_DOMAIN, version: 1 },
        ],
        graph: {
          name: 'nchwc-probe',
          node: [{ opType: 'ReorderInput', domain: NCHWC_DOMAIN, input: ['x'], output: ['y'] }],
          input: [vi('x', [1, 4, 1, 1])],
          output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
        },
      }),
    ).finish();
    try {
      const s = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'disabled' });
      const { y } = await s.run({ x: new ort.Tensor('float32', new Float32Array(4), [1, 4, 1, 1]) });
      await s.release();
      return y.dims[1] >= 8 ? y.dims[1] : 0;
    } catch {
      return 0;
    }
  })();
  return nchwcBlock;
}

function tensorOf(name: string, dtype: DType, shape: Shape, data: HostArray): ort.Tensor {
  if (data.length !== size(shape))
    throw new Error(`'${name}': ${data.length} values for shape ${fmt(shape)} (${size(shape)})`);
  const want = dtype === 'float32' ? Float32Array : dtype === 'int64' ? BigInt64Array : Uint8Array;
  if (!(data instanceof want))
    throw new Error(`'${name}': expected ${want.name} for ${dtype}, got ${data.constructor.name}`);
  return new ort.Tensor(ORT_TYPE[dtype], data as never, shape as number[]);
}

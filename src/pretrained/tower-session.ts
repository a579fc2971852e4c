/**
 * Run a tower's ONNX graph (static batch B) over N rows with onnxruntime: rows go in batches of B, the last one
 * padded; outputs are the first N rows. The same code runs graphs built in memory (open_clip folders) and the
 * `*.onnx` files of a model directory.
 */
import { availableParallelism } from 'node:os';
import { ort } from '../engine/node.ts';
import { CladeError } from '../util/errors.ts';

export interface TowerInput {
  readonly shape: readonly number[]; // [B, ...]
  readonly dtype: 'float32' | 'int64';
}

/** Inference session options: threads = cores (or `threads`), all graph optimisations. */
export function inferenceOptions(threads?: number): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads ?? availableParallelism(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
}

export class TowerSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly inputs: Readonly<Record<string, TowerInput>>,
  ) {}

  /** A session from ONNX bytes or a file path. */
  static async create(
    model: Uint8Array | string,
    inputs: Readonly<Record<string, TowerInput>>,
    opts: { threads?: number } = {},
  ): Promise<TowerSession> {
    const o = inferenceOptions(opts.threads);
    const s =
      typeof model === 'string'
        ? await ort.InferenceSession.create(model, o)
        : await ort.InferenceSession.create(model, o);
    return new TowerSession(s, inputs);
  }

  get batch(): number {
    return Object.values(this.inputs)[0].shape[0];
  }

  /**
   * Embed N rows: `feeds[name]` holds N rows of each input, row-major.
   *
   * @example
   * const { data, d } = await session.run({ image: pixels }, n);   // pixels [N, 3, H, W] -> [N, D]
   */
  async run(
    feeds: Readonly<Record<string, Float32Array | BigInt64Array>>,
    n: number,
    onProgress?: (done: number) => void,
  ): Promise<{ data: Float32Array; n: number; d: number }> {
    const B = this.batch;
    let out: Float32Array | null = null;
    let d = 0;
    for (let start = 0; start < n; start += B) {
      const rows = Math.min(B, n - start);
      const batch: Record<string, ort.Tensor> = {};
      for (const [name, spec] of Object.entries(this.inputs)) {
        const per = spec.shape.slice(1).reduce((a, b) => a * b, 1);
        const src = feeds[name];
        if (!src) throw new CladeError(`missing tower input '${name}'`);
        if (src.length < n * per)
          throw new CladeError(`tower input '${name}' has ${src.length} values, expected ${n * per}`);
        const buf = spec.dtype === 'int64' ? new BigInt64Array(B * per) : new Float32Array(B * per);
        (buf as Float32Array).set((src as Float32Array).subarray(start * per, (start + rows) * per));
        batch[name] = new ort.Tensor(spec.dtype, buf, [...spec.shape]);
      }
      const res = await this.session.run(batch);
      const emb = res[this.session.outputNames[0]];
      d = emb.dims[1];
      out ??= new Float32Array(n * d);
      out.set((emb.data as Float32Array).subarray(0, rows * d), start * d);
      onProgress?.(start + rows);
    }
    return { data: out ?? new Float32Array(0), n, d };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Per-node kernel-time medians of an ONNX model from ORT's profiler, for the single-op probes: the model runs
 * `runs` times on `feeds` under the engine's session options, and each node's median is returned in execution order.
 */
import * as ort from 'onnxruntime-node';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sessionOptions } from '../../src/engine/runtime/ort.ts';
import { median } from '../common.ts';

export interface NodeTime {
  readonly node: string;
  readonly op: string;
  readonly ms: number;
}

export async function kernelTimes(
  model: Uint8Array,
  feeds: Record<string, ort.Tensor>,
  runs = 15,
): Promise<NodeTime[]> {
  const dir = tmpdir();
  const prefix = `kt_${process.pid}_${Math.random().toString(36).slice(2)}`;
  const s = await ort.InferenceSession.create(model, {
    ...sessionOptions(),
    enableProfiling: true,
    profileFilePrefix: join(dir, prefix),
  });
  for (let i = 0; i < runs; i++) await s.run(feeds);
  s.endProfiling();
  await s.release();
  const file = join(dir, readdirSync(dir).filter((f) => f.startsWith(prefix))[0]);
  const events = JSON.parse(readFileSync(file, 'utf8')) as {
    cat: string;
    name: string;
    dur: number;
    args: { op_name: string };
  }[];
  rmSync(file);
  const per = new Map<string, { op: string; us: number[] }>();
  for (const e of events)
    if (e.cat === 'Node' && e.name.endsWith('_kernel_time')) {
      const node = e.name.replace('_kernel_time', '');
      const r = per.get(node) ?? { op: e.args.op_name, us: [] };
      r.us.push(e.dur);
      per.set(node, r);
    }
  return [...per].map(([node, r]) => ({ node, op: r.op, ms: median(r.us) / 1000 }));
}

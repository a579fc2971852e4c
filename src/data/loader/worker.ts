// Worker-thread entry: builds the pipeline from its source once, then answers batch requests in order.
import { parentPort, workerData } from 'node:worker_threads';
import { transferables } from './collate.ts';
import type { Pipeline, PipelineSource } from './loader-types.ts';
import { loadPipeline, produceBatch } from './produce.ts';

interface Request {
  readonly id: number;
  readonly epoch: number;
  readonly step: number;
  readonly indices: Int32Array;
}

const port = parentPort!;
const { source, seed } = workerData as { source: PipelineSource; seed: number };
const ready: Promise<Pipeline> = loadPipeline(source);

port.on('message', async (req: Request) => {
  try {
    const pipeline = await ready;
    const batch = await produceBatch(pipeline, seed, req.epoch, req.step, req.indices);
    port.postMessage({ id: req.id, batch }, transferables(batch));
  } catch (e) {
    port.postMessage({ id: req.id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
});

ready.then(
  (p) => {
    port.postMessage({ ready: true, length: p.dataset.length });
  },
  (e) =>
    port.postMessage({ ready: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }),
);

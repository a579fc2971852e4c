// Worker-thread body (started by worker-entry.mjs): builds the pipeline its source names in the pipeline table
// once, then answers batch requests: dataset indices to read, or samples the main thread read from a stream.
import { parentPort, workerData } from 'node:worker_threads';
import { buildPipeline, type PipelineSource } from '../pipelines/index.ts';
import type { Sample } from '../types.ts';
import { transferables } from './collate.ts';
import { produceBatch, produceFromSamples } from './produce.ts';

interface Request {
  readonly id: number;
  readonly epoch: number;
  readonly step: number;
  readonly indices?: Int32Array;
  readonly samples?: Sample[];
  readonly firstPosition?: number;
}

const port = parentPort!;
const { source, seed, stream } = workerData as { source: PipelineSource; seed: number; stream: boolean };
// Stream workers only transform samples the main thread sends; they report no dataset length.
const ready = buildPipeline(source).then((p) => ({ ...p, length: stream ? -1 : p.dataset.length }));
const message = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

port.on('message', async (req: Request) => {
  try {
    const p = await ready;
    const batch = req.samples
      ? await produceFromSamples(p.transform, seed, req.epoch, req.step, req.samples, req.firstPosition ?? 0)
      : await produceBatch(
          { transform: p.transform, dataset: p.dataset },
          seed,
          req.epoch,
          req.step,
          req.indices!,
        );
    port.postMessage({ id: req.id, batch }, transferables(batch));
  } catch (e) {
    port.postMessage({ id: req.id, error: message(e) });
  }
});

ready.then(
  (p) => port.postMessage({ ready: true, length: p.length }),
  (e) => port.postMessage({ ready: false, error: message(e) }),
);

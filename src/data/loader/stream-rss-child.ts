// Streams one epoch of WebDataset shards through the StreamLoader (decoding and SimCLR views in worker threads) and
// prints { samples, batches, seconds, maxRssMB } as JSON: the peak resident memory of the whole process, worker
// threads included. Used by bench/data/stream-rss.ts and stream-rss.test.ts, each measurement in its own process.
import { pipelineSource } from '../pipelines/index.ts';
import { webDataset } from '../readers/webdataset.ts';
import { StreamLoader } from './stream-loader.ts';

const o = JSON.parse(process.argv[2]) as {
  pattern: string;
  bufferSize: number;
  batchSize: number;
  workers: number;
  size: number;
};
const t0 = performance.now();
const loader = await StreamLoader.create({
  stream: webDataset(o.pattern, { bufferSize: o.bufferSize, decode: false }),
  source: pipelineSource('test-stream', { size: o.size }),
  workers: o.workers,
  batchSize: o.batchSize,
  seed: 0,
  epochs: 1,
});
let samples = 0;
let batches = 0;
for await (const b of loader) {
  samples += b.indices.length;
  batches++;
}
await loader.close();
const seconds = (performance.now() - t0) / 1000;
// resourceUsage().maxRSS is in kilobytes
console.log(JSON.stringify({ samples, batches, seconds, maxRssMB: process.resourceUsage().maxRSS / 1024 }));

// A loader process for stream-resume.test.ts: streams WebDataset shards through a worker thread, appends one line
// per batch to `out` and saves `loader.position()` to `checkpoint` (atomically) after each, so a test can SIGKILL it
// and start it again from the checkpoint.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { pipelineSource } from '../pipelines/index.ts';
import { webDataset } from '../readers/webdataset.ts';
import { StreamLoader } from './stream-loader.ts';

const { pattern, out, checkpoint, delayMs } = JSON.parse(process.argv[2]) as {
  pattern: string;
  out: string;
  checkpoint: string;
  delayMs: number;
};
const start = existsSync(checkpoint) ? JSON.parse(readFileSync(checkpoint, 'utf8')) : undefined;
const loader = await StreamLoader.create({
  stream: webDataset(pattern, { bufferSize: 7, decode: false }),
  source: pipelineSource('test-stream', {}),
  workers: 1,
  batchSize: 4,
  seed: 3,
  epochs: 2,
  start,
});
for await (const b of loader) {
  let sum = 0;
  for (const v of b.views[0]) sum += v;
  appendFileSync(out, JSON.stringify({ epoch: b.epoch, step: b.step, indices: [...b.indices], sum }) + '\n');
  writeFileAtomic(checkpoint, JSON.stringify(loader.position()));
  await sleep(delayMs);
}
await loader.close();

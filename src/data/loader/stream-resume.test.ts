import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { webDataset, type WebDatasetState } from '../readers/webdataset.ts';
import { writeSyntheticShards } from '../synthetic/synthetic-shards.ts';
import type { Sample } from '../types.ts';

const ROOT = resolve(__dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'clade-stream-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const pattern = join(dir, 'shard-{000000..000002}.tar');

beforeAll(async () => {
  await writeSyntheticShards(dir, { shards: 3, perShard: 10, size: 16 });
});

async function take(c: { next(): Promise<Sample | undefined> }, n = Infinity): Promise<string[]> {
  const ids: string[] = [];
  for (let s; ids.length < n && (s = await c.next());) ids.push(`${s.index}:${s.id}`);
  return ids;
}

test('a WebDataset cursor resumed from its JSON state after any number of samples continues exactly', async () => {
  const wds = webDataset(pattern, { bufferSize: 7, decode: false });
  const full = await take(wds.open({ seed: 4, epoch: 1 }));
  expect(full).toHaveLength(30);
  expect(new Set(full).size).toBe(30);
  expect(full.slice(0, 10).every((x) => x.includes('shard-'))).toBe(true);
  for (let k = 0; k <= 30; k++) {
    const c = wds.open({ seed: 4, epoch: 1 });
    const head = await take(c, k);
    const state = JSON.parse(JSON.stringify(c.state())) as WebDatasetState;
    expect(state.buffer.length).toBeLessThanOrEqual(7);
    await c.close();
    const rest = await take(wds.open({ seed: 4, epoch: 1, from: state }));
    expect([...head, ...rest]).toEqual(full);
  }
  // another epoch is another order; a state from another stream is refused with what differs
  expect(await take(wds.open({ seed: 4, epoch: 2 }))).not.toEqual(full);
  const c = wds.open({ seed: 4, epoch: 1 });
  await take(c, 3);
  expect(() => webDataset(pattern, { bufferSize: 8 }).open({ seed: 4, epoch: 1, from: c.state() })).toThrow(
    'state was saved with 3 shards and bufferSize 7; this stream has 3 and 8',
  );
});

function runChild(out: string, checkpoint: string, delayMs: number) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      join(ROOT, 'node_modules/tsx/dist/esm/index.mjs'),
      join(ROOT, 'src/data/loader/stream-kill-child.ts'),
      JSON.stringify({ pattern, out, checkpoint, delayMs }),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('exit', (code, signal) => res({ code, signal })),
  );
  return { child, exited, stderr: () => stderr };
}

const lines = (f: string) =>
  existsSync(f)
    ? readFileSync(f, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { epoch: number; step: number; indices: number[]; sum: number })
    : [];

test('a loader process streaming shards, killed with SIGKILL, resumes from its checkpoint to the same batches', async () => {
  const whole = runChild(join(dir, 'whole.jsonl'), join(dir, 'whole.ckpt'), 0);
  expect((await whole.exited).code, whole.stderr()).toBe(0);
  const base = lines(join(dir, 'whole.jsonl'));
  expect(base.map((b) => `${b.epoch}:${b.step}`)).toEqual([
    ...[0, 1, 2, 3, 4, 5, 6, 7].map((s) => `0:${s}`),
    ...[0, 1, 2, 3, 4, 5, 6, 7].map((s) => `1:${s}`),
  ]);

  const out = join(dir, 'killed.jsonl');
  const ckpt = join(dir, 'killed.ckpt');
  const first = runChild(out, ckpt, 150);
  const t0 = Date.now();
  while (lines(out).length < 5 && first.child.exitCode === null && Date.now() - t0 < 60_000)
    await new Promise((r) => setTimeout(r, 20));
  first.child.kill('SIGKILL');
  expect((await first.exited).signal).toBe('SIGKILL');
  const saved = JSON.parse(readFileSync(ckpt, 'utf8')) as { epoch: number; step: number; stream: unknown };
  expect(saved.epoch).toBe(0);
  // 5 lines were seen; the kill can land between the fifth batch's line and its checkpoint (then step 4)
  expect(saved.step).toBeGreaterThanOrEqual(4);
  expect(saved.step).toBeLessThan(8); // killed mid-epoch, with samples in the shuffle buffer
  expect((saved.stream as WebDatasetState).buffer.length).toBeGreaterThan(0);
  const written = lines(out).length; // the batch after the checkpoint may have been written before the kill
  const before = lines(out).filter((b) => b.epoch === 0 && b.step < saved.step);

  const second = runChild(out, ckpt, 0);
  expect((await second.exited).code, second.stderr()).toBe(0);
  const after = lines(out).slice(written);
  expect(after[0]).toMatchObject({ epoch: 0, step: saved.step });
  expect([...before, ...after]).toEqual(base);
}, 120_000);

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { readJsonLines } from './jsonl.ts';
import { removeStaleTempFiles } from './temp-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-jsonl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a torn last JSONL line is dropped and reported; a bad line elsewhere names file and line', () => {
  const f = join(dir, 'metrics.jsonl');
  writeFileSync(f, '{"step":1,"loss":2.5}\n{"step":2,"loss":2.25}\n{"step":3,"lo');
  const torn: number[] = [];
  expect(readJsonLines(f, (line) => torn.push(line))).toEqual([
    { step: 1, loss: 2.5 },
    { step: 2, loss: 2.25 },
  ]);
  expect(torn).toEqual([3]);
  writeFileSync(f, '{"step":1}\n{"st\n{"step":3}\n');
  expect(() => readJsonLines(f)).toThrow(`${f}: line 2: not valid JSON`);
});

test("stale temp files of dead writers are removed; a live writer's are kept", () => {
  const dead = spawnSync('true').pid!;
  const live = spawn('sleep', ['30']);
  try {
    writeFileSync(join(dir, `.step-00000003.safetensors.${dead}.1700000000000.tmp`), 'x');
    writeFileSync(join(dir, `.config.json.${live.pid}.1700000000000.tmp`), 'x');
    writeFileSync(join(dir, 'keep.tmp'), 'x');
    expect(removeStaleTempFiles(dir)).toEqual([`.step-00000003.safetensors.${dead}.1700000000000.tmp`]);
    expect(readdirSync(dir).sort()).toEqual([
      `.config.json.${live.pid}.1700000000000.tmp`,
      'keep.tmp',
      'metrics.jsonl',
    ]);
  } finally {
    live.kill();
  }
});

test('removeStaleTempFiles can be limited to the temporary files of given outputs', () => {
  const d = mkdtempSync(join(tmpdir(), 'clade-temp-only-'));
  try {
    const dead = spawnSync('true').pid!;
    writeFileSync(join(d, `.e.npy.${dead}.1.tmp`), 'x');
    writeFileSync(join(d, `.other.bin.${dead}.1.tmp`), 'x');
    expect(removeStaleTempFiles(d, ['e.npy', 'e.json'])).toEqual([`.e.npy.${dead}.1.tmp`]);
    expect(readdirSync(d)).toEqual([`.other.bin.${dead}.1.tmp`]);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

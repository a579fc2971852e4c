import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { Rng } from '../util/rng.ts';
import { recoverDir, writeDirAtomic } from './commit-dir.ts';

const ROOT = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'clade-commit-dir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a rewrite replaces the whole directory: no file of the old version survives', () => {
  const m = join(dir, 'model');
  writeDirAtomic(m, (t) => {
    writeFileSync(join(t, 'model.json'), '1');
    writeFileSync(join(t, 'tabular.onnx'), 'old tower');
  });
  writeDirAtomic(m, (t) => writeFileSync(join(t, 'model.json'), '2'));
  expect(readdirSync(m)).toEqual(['model.json']);
  expect(readdirSync(dir)).toEqual(['model']); // no temporary or old sibling left
  // a failing write keeps the previous version untouched
  expect(() =>
    writeDirAtomic(m, (t) => {
      writeFileSync(join(t, 'model.json'), '3');
      throw new Error('export failed');
    }),
  ).toThrow('export failed');
  expect(readFileSync(join(m, 'model.json'), 'utf8')).toBe('2');
  expect(readdirSync(dir)).toEqual(['model']);
});

test('recoverDir puts back a version moved aside by a writer killed between its two renames', () => {
  const m = join(dir, 'between');
  mkdirSync(join(dir, '.between.999999999.1.old'));
  writeFileSync(join(dir, '.between.999999999.1.old', 'model.json'), 'old');
  mkdirSync(join(dir, '.between.999999999.1.tmp'));
  expect(recoverDir(m)).toEqual([
    'restored ' + m + ' from .between.999999999.1.old',
    'removed .between.999999999.1.tmp (an interrupted write)',
  ]);
  expect(readFileSync(join(m, 'model.json'), 'utf8')).toBe('old');
});

const versions = (m: string) =>
  new Set([
    String(JSON.parse(readFileSync(join(m, 'model.json'), 'utf8')).v % 256),
    String(Number(readFileSync(join(m, 'image.onnx'), 'utf8')) % 256),
    String(readFileSync(join(m, 'weights.bin'))[0]), // the writer fills it with v % 256
  ]);

test('fault injection: a writer killed (SIGKILL) at 20 random instants leaves one whole version, never a mix', async () => {
  const m = join(dir, 'killed');
  const rng = new Rng(17);
  const seen = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const child = spawn(process.execPath, [
      '--import',
      join(ROOT, 'node_modules/tsx/dist/esm/index.mjs'),
      join(ROOT, 'src/io/testing/commit-dir-writer.ts'),
      m,
    ]);
    await new Promise((r) => child.stdout.once('data', r)); // started: it is about to write
    await new Promise((r) => setTimeout(r, 5 + rng.int(150)));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    recoverDir(m);
    if (!existsSync(m)) continue; // killed before its first version was complete
    const v = versions(m);
    expect(v.size, `mixed versions ${[...v]}`).toBe(1);
    seen.add([...v][0]);
    expect(readdirSync(dir).filter((f) => f.startsWith('.killed'))).toEqual([]);
  }
  expect(seen.size).toBeGreaterThan(1); // the kills did land in different versions
});

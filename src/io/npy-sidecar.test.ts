import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { loadEmbeddings } from './load-embeddings.ts';
import { writeNpyWithSidecar } from './npy-sidecar.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-npy-pair-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('an .npy and its .json sidecar are checked as a pair: a half-committed rewrite is an error, not a mix', async () => {
  const a = join(dir, 'emb.npy');
  writeNpyWithSidecar(a, Float32Array.of(1, 0, 0, 1), [2, 2], { ids: ['x', 'y'] });
  expect((await loadEmbeddings(a)).embeddings.n).toBe(2);
  expect(JSON.parse(readFileSync(join(dir, 'emb.json'), 'utf8')).ids).toEqual(['x', 'y']);
  // a second write killed between its two renames: the new sidecar beside the old array
  const b = join(dir, 'other.npy');
  writeNpyWithSidecar(b, Float32Array.of(0, 1, 1, 0, 1, 1), [3, 2], { ids: ['p', 'q', 'r'] });
  copyFileSync(join(dir, 'other.json'), join(dir, 'emb.json'));
  await expect(loadEmbeddings(a)).rejects.toThrow(
    `${a}: does not match its sidecar ${join(dir, 'emb.json')}`,
  );
});

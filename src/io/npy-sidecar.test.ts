import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

test('an interrupted pair write is repaired: old pair before the new array landed, new pair after', async () => {
  const { writeFileSync, renameSync, existsSync, readdirSync } = await import('node:fs');
  const { encodeNpy } = await import('./npy.ts');
  const { recoverNpyPair } = await import('./npy-sidecar.ts');
  const sub = mkdtempSync(join(tmpdir(), 'clade-npy-recover-'));
  try {
    const p = join(sub, 'e.npy');
    writeNpyWithSidecar(p, Float32Array.of(1, 2), [1, 2], { v: 'old' });
    const stamp = '999999999.1'; // a writer that is gone
    // killed after moving the old array aside, before the new one arrived
    renameSync(p, join(sub, `.e.npy.${stamp}.old`));
    writeFileSync(join(sub, `.e.npy.${stamp}.tmp`), encodeNpy(Float32Array.of(3, 4), [1, 2]));
    writeFileSync(join(sub, `.e.json.${stamp}.tmp`), '{"v":"new"}');
    expect(recoverNpyPair(p)).toEqual(['restored the previous e.npy']);
    expect(Array.from((await loadEmbeddings(p)).embeddings.data)).toEqual([1, 2]);
    expect(readdirSync(sub).sort()).toEqual(['e.json', 'e.npy']);
    // killed after the new array arrived, before its sidecar: the sidecar is rolled in
    const bytes = encodeNpy(Float32Array.of(5, 6), [1, 2]);
    const { createHash } = await import('node:crypto');
    renameSync(p, join(sub, `.e.npy.${stamp}.old`));
    writeFileSync(p, bytes);
    writeFileSync(
      join(sub, `.e.json.${stamp}.tmp`),
      JSON.stringify({ v: 'new', npySha256: createHash('sha256').update(bytes).digest('hex') }),
    );
    expect(Array.from((await loadEmbeddings(p)).embeddings.data)).toEqual([5, 6]); // readers repair too
    expect(JSON.parse(readFileSync(join(sub, 'e.json'), 'utf8')).v).toBe('new');
    expect(existsSync(join(sub, `.e.npy.${stamp}.old`))).toBe(false);
  } finally {
    rmSync(sub, { recursive: true, force: true });
  }
});

test('the pair is written into folders that do not exist yet, as every other output', () => {
  const f = join(dir, 'a', 'b', 'e.npy');
  writeNpyWithSidecar(f, Float32Array.of(1, 2), [1, 2], { ids: ['x'] });
  expect(existsSync(f) && existsSync(f.replace(/\.npy$/, '.json'))).toBe(true);
});

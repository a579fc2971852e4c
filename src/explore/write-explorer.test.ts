import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { tableFromIPC } from 'apache-arrow';
import { KEY_SEP } from './format.ts';
import { writeExplorer } from './write-explorer.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-explorer-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const input = (title: string) => ({
  title,
  ids: Array.from({ length: 12 }, (_, i) => `p${i}`),
  embeddings: { n: 12, d: 4, data: Float32Array.from({ length: 48 }, (_, i) => Math.sin(i * 1.7)) },
  projectionOptions: { which: ['pca' as const] },
});
const titleOf = (out: string) =>
  /"title":"([^"]*)"/.exec(readFileSync(join(out, 'data/manifest.js'), 'utf8'))?.[1];

test('an explorer write interrupted between its renames is repaired by the next write; no sibling is left', async () => {
  const out = join(dir, 'explorer');
  await writeExplorer(out, input('A'));
  expect(titleOf(out)).toBe('A');
  // what a crash between "move the old one aside" and "rename the new one in" leaves (a dead writer's pid)
  const dead = 2 ** 22 + 12345;
  renameSync(out, join(dir, `.explorer.${dead}.1.old`));
  mkdirSync(join(dir, `.explorer.${dead}.1.tmp`));
  writeFileSync(join(dir, `.explorer.${dead}.1.tmp`, 'index.html'), 'half');
  await writeExplorer(out, input('B'));
  expect(titleOf(out)).toBe('B');
  expect(readdirSync(dir)).toEqual(['explorer']);
  expect(existsSync(join(out, 'index.html'))).toBe(true);
});

test("taxonomy node keys keep lineages apart that a space would merge: ('Alpha beta','gamma') vs ('Alpha','beta gamma')", async () => {
  const out = join(dir, 'text-keys');
  const lineages = [['Alpha beta'], ['Alpha'], ['Alpha beta', 'gamma'], ['Alpha', 'beta gamma']];
  await writeExplorer(out, {
    ...input('keys'),
    text: {
      root: new Float32Array(4),
      lineages,
      embeddings: { n: 4, d: 4, data: Float32Array.from({ length: 16 }, (_, i) => Math.cos(i)) },
      logitScale: 100,
    },
  });
  const script = readFileSync(join(out, 'data/text.js'), 'utf8');
  const b64 = JSON.parse(script.slice(script.indexOf(',') + 1, script.lastIndexOf(')')));
  const keys = [...tableFromIPC(Buffer.from(b64, 'base64')).getChild('key')!].map(String);
  expect(new Set(keys).size).toBe(keys.length);
  expect(keys.slice(1).map((k) => k.split(KEY_SEP))).toEqual(lineages);
});

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, expect, test, vi } from 'vitest';
import { run as trainCli } from '../src/cli/commands/train.ts';

// The command examples of docs/configs.md, as written: every `clade train ...` line resolves (checked with
// --print-config, which resolves the config without training), and every `$ command` in the Errors block prints
// the line under it (`...` stands for any text).
const ROOT = resolve(__dirname, '..');
const doc = readFileSync(join(ROOT, 'docs/configs.md'), 'utf8');
afterEach(() => vi.restoreAllMocks());

const args = (line: string) =>
  line
    .replace(/\s+#.*$/, '')
    .trim()
    .split(/\s+/)
    .slice(2);

test('every `clade train` example of docs/configs.md resolves as written', async () => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  const errors: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...s) => void errors.push(s.join(' ')));
  const lines = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((m) => m[1].split('\n'))
    .filter((l) => l.startsWith('clade train ') && !l.includes('<')); // not the usage synopses
  expect(lines.length).toBeGreaterThanOrEqual(6);
  for (const l of lines)
    expect(await trainCli([...args(l), '--print-config']), `${l}\n${errors.join('\n')}`).toBe(0);
});

test('the Errors examples of docs/configs.md print what the doc shows', async () => {
  const block = /## Errors\n\n```\n([\s\S]*?)```/.exec(doc)![1].split('\n');
  let checked = 0;
  for (let i = 0; i < block.length; i++) {
    const l = block[i];
    if (!l.startsWith('$ clade train ') || l.includes('my.json')) continue; // my.json: a file the doc only describes
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...s) => void errors.push(s.join(' ')));
    vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await trainCli([...args(l.slice(2)), '--print-config'])).not.toBe(0);
    const want = new RegExp(
      '^' +
        block[i + 1]
          .split('...')
          .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*') +
        '$',
    );
    expect(errors[0], l).toMatch(want);
    vi.restoreAllMocks();
    checked++;
  }
  expect(checked).toBe(3);
});

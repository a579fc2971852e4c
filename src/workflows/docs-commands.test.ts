import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, test, vi } from 'vitest';
import { run as analyzeCli } from '../cli/commands/analyze.ts';
import { run as retrievalCli } from '../cli/commands/retrieval.ts';
import { run as zeroshotCli } from '../cli/commands/zeroshot.ts';
import { writeNpy } from '../io/npy.ts';
import { readResults } from '../report/index.ts';
import { Rng } from '../util/rng.ts';

// The `### Commands` block of docs/analysis.md, run line by line in a folder holding the files it names.
const doc = readFileSync(resolve(import.meta.dirname, '../../docs/analysis.md'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'clade-docs-analysis-'));
const cwd = process.cwd();
afterAll(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

function files() {
  const rng = new Rng(9);
  const n = 240;
  const d = 8;
  const x = new Float32Array(n * d);
  const rows = ['path,species,genus,stage,beak,habitat,big,north,split'];
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    const v = x.subarray(i * d, (i + 1) * d);
    for (let j = 0; j < d; j++) v[j] = 0.15 * rng.normal();
    v[c] += 4;
    v[4] += 1.5 * c;
    const adult = (i >> 2) % 2 === 1;
    const north = (i >> 3) % 2 === 1;
    v[5] += adult ? 0.5 : -0.5;
    v[7] += north ? 0.5 : -0.5;
    rows.push(
      [
        `img${i}.jpg`,
        `sp${c}`,
        c < 2 ? 'A' : 'B',
        adult ? 'adult' : 'juvenile',
        (10 * c + rng.normal()).toFixed(2),
        c < 2 ? 'fresh' : 'salt',
        c >= 2 ? 'yes' : 'no',
        north ? 1 : 0,
        i % 5 === 0 ? 'test' : 'train',
      ].join(','),
    );
  }
  writeNpy('emb.npy', x, [n, d]);
  writeFileSync('meta.csv', rows.join('\n') + '\n');
  // class texts: each species' mean direction
  const text = new Float32Array(4 * d);
  for (let c = 0; c < 4; c++) [text[c * d + c], text[c * d + 4]] = [4, 1.5 * c];
  writeNpy('class-text.npy', text, [4, d]);
  writeFileSync('classes.csv', 'species,genus,habitat\nsp0,A,fresh\nsp1,A,fresh\nsp2,B,salt\nsp3,B,salt\n');
  writeNpy('img.npy', new Float32Array([1, 0, 0, 1]), [2, 2]);
  writeNpy('txt.npy', new Float32Array([1, 0.1, 0, 1, 0.1, 1, 1, 0]), [4, 2]);
  writeFileSync('captions.csv', 'image,text\n0,a\n0,b\n1,c\n1,d\n');
}

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  analyze: analyzeCli,
  retrieval: retrievalCli,
  zeroshot: zeroshotCli,
};

test('every line of the Commands block of docs/analysis.md runs as written', async () => {
  process.chdir(dir);
  files();
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
  const block = /### Commands\n[\s\S]*?```sh\n([\s\S]*?)```/.exec(doc)![1];
  const lines = block.split('\n').filter((l) => l.startsWith('npx clade '));
  expect(lines.length).toBeGreaterThanOrEqual(8);
  for (const l of lines) {
    const [, , cmd, ...argv] = l.trim().split(/\s+/);
    expect(await COMMANDS[cmd](argv), l).toBe(0);
  }
  const kinds = (out: string) => readResults(join(dir, out)).map((r) => r.result.kind);
  expect(kinds('seeds').sort()).toEqual(['attribute-separation', 'orthogonality', 'trait-order']);
  expect(readFileSync(join(dir, 'seeds/report.html'), 'utf8')).toContain('data-plot="orthogonality"');
  const settings = readResults(join(dir, 'settings')).find((r) => r.result.kind === 'knn')!.result;
  expect(settings.params).toMatchObject({ k: 20, temperature: 0.07, metric: 'euclidean' });
  expect(kinds('multilabel')).toEqual(['multilabel-probe']);
  const zs = readResults(join(dir, 'zs-abstain'))[0].result.metrics as Record<string, number>;
  expect(zs.abstain_at_genus + zs.abstain_at_species + zs.abstain_none).toBeCloseTo(1, 12);
  expect(zs.bin_top1).toBe(1); // habitat bins follow genus, and every image's genus is clear
  vi.restoreAllMocks();
});

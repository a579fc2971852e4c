import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, expect, test, vi } from 'vitest';
import { run as embedCli } from '../../cli/commands/embed.ts';
import { run as trainCli } from '../../cli/commands/train.ts';
import { writeSpecFixture } from '../../../test/support/spec-fixtures.ts';

// README's "Train on your own images" block, as written, on generated photos: `photos.csv` stands for the
// fixture's manifest and the run is shortened (steps, batch, widths) by overrides appended to the line.
const ROOT = resolve(__dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'clade-readme-own-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function readmeBlock(heading: string): string[] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = text.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README.md has no '${heading}' section`);
  return /```sh\n([\s\S]*?)```/
    .exec(text.slice(at))![1]
    .split('\n')
    .filter((l) => l.startsWith('npx clade '));
}

/** Shell words of a line (single quotes only), after `npx clade <command>`. */
const words = (line: string) => [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]).slice(3);

test("README's 'Train on your own images' commands run as written on a generated photo folder", async () => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  const errors: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...s) => void errors.push(s.join(' ')));
  const f = await writeSpecFixture(dir, 10);
  const lines = readmeBlock('## Train on your own images');
  expect(lines.map((l) => l.split(' ')[2])).toEqual(['train', 'embed']);
  const local = (a: string) =>
    a
      .replace(/^photos\.csv/, f.csv)
      .replace(/^runs\//, `${dir}/runs/`)
      .replace(/^mine\./, `${dir}/mine.`);
  const short = [
    '--train.steps=4',
    '--train.warmup=1',
    '--train.evalEvery=2',
    '--recipeConfig.batchSize=8',
    '--recipeConfig.imageChannels=[4,4,4]',
    '--recipeConfig.textWidth=8',
    '--recipeConfig.textDepth=1',
    '--recipeConfig.embedDim=8',
  ];
  expect(await trainCli([...words(lines[0]).map(local), ...short]), errors.join('\n')).toBe(0);
  const metrics = readFileSync(join(dir, 'runs/mine/metrics.jsonl'), 'utf8').trim().split('\n');
  const last = JSON.parse(metrics[metrics.length - 1]);
  for (const rank of ['family', 'genus', 'species']) expect(last[`knn/${rank}`]).toBeTypeOf('number');
  expect(last['zeroshot/species']).toBeTypeOf('number');
  expect(await embedCli([...words(lines[1]).map(local), '--quiet']), errors.join('\n')).toBe(0);
  expect(existsSync(join(dir, 'mine.parquet'))).toBe(true);
}, 120_000);

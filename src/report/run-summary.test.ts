import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { writeSafetensors } from '../io/safetensors.ts';
import { renderReport, writeReport } from './render-report.ts';
import { sampleResults } from './sample-results.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-run-summary-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A run directory as `clade train` leaves it: 3 of 4 steps, a 2×3 + 4 parameter model, 90 s of training. */
function fakeRun(run: string) {
  mkdirSync(join(run, 'model'), { recursive: true });
  writeFileSync(
    join(run, 'config.json'),
    JSON.stringify({ recipe: 'clip-taxonomy', description: 'tiny run', train: { steps: 4 } }),
  );
  writeFileSync(
    join(run, 'metrics.jsonl'),
    [2.5, 2.0, 1.5].map((loss, i) => JSON.stringify({ step: i + 1, loss, lr: 0.001 * (i + 1) })).join('\n') +
      '\n',
  );
  writeSafetensors(join(run, 'model', 'weights.safetensors'), {
    w: { dtype: 'F32', shape: [2, 3], data: new Float32Array(6) },
    b: { dtype: 'F32', shape: [4], data: new Float32Array(4) },
  });
  utimesSync(join(run, 'config.json'), 1_000, 1_000);
  utimesSync(join(run, 'metrics.jsonl'), 1_090, 1_090);
}

test('a report of a run has a headline (what, how long, how big, key numbers with chance) and training curves', async () => {
  const run = join(dir, 'run');
  fakeRun(run);
  const html = await renderReport(sampleResults(0), { run });
  const headline = html.slice(html.indexOf('<section id="headline">'), html.indexOf('</section>'));
  expect(headline).toContain('<strong>clip-taxonomy</strong> — tiny run');
  expect(headline).toContain('trained 3 of 4 steps in 1m30s (wall time) · 10 parameters');
  expect(headline).toContain('loss 2.500 → 1.500');
  expect(headline).toContain(
    'zero-shot at species: <strong>0.620</strong> <span class="chance">(chance 0.083)</span>',
  );
  expect(html).toContain('data-plot="training-loss"');
  expect(html).toContain('data-plot="learning-rate"');
});

test('writeReport into a run directory picks the run up by itself; elsewhere there is no headline', async () => {
  const run = join(dir, 'run2');
  fakeRun(run);
  await writeReport(join(run, 'report.html'), sampleResults(0));
  expect(readFileSync(join(run, 'report.html'), 'utf8')).toContain('data-plot="training-loss"');
  const plain = await renderReport(sampleResults(0)); // not a run: key numbers only, no training facts
  expect(plain).toContain('(chance 0.083)');
  expect(plain).not.toContain('data-plot="training-loss"');
  expect(plain).not.toContain('(wall time)');
});

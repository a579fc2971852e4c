import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { runHierarCaps } from './hierarcaps.ts';

// The real HierarCaps test set (../shared/datasets/hierarcaps) through the small open_clip fixture: the whole
// protocol runs on 1,000 images and a pool of 4,000 captions. The fixture is untrained, so only the shape of the
// outcome is checked here; trained-model numbers belong in docs/studies.
const DATA = join(import.meta.dirname, '../../../shared/datasets/hierarcaps');
const FIXTURE = join(import.meta.dirname, '../../test/fixtures/open_clip/tiny-vit-gelu');
const out = mkdtempSync(join(tmpdir(), 'clade-hc-data-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

test.runIf(existsSync(DATA))('clade hierarcaps on the real test set with an open_clip folder', async () => {
  const r = await runHierarCaps({ data: DATA, model: FIXTURE, outDir: out });
  expect(r.params).toMatchObject({ rows: 1000, pool: 4000, steps: 50 });
  const m = r.metrics as Record<string, number>;
  for (const k of ['precision', 'recall']) {
    expect(m[k]).toBeGreaterThanOrEqual(0);
    expect(m[k]).toBeLessThanOrEqual(1);
  }
  expect(Math.abs(m.dCorr)).toBeLessThanOrEqual(1);
  expect(r.series!.radiusByLevel!.radius).toHaveLength(4);
});

import { join } from 'node:path';
import { expect, test } from 'vitest';
import { checkFixture } from './fixture-check.ts';

// Both fixtures as shipped in ../shared (tiny-vit-gelu also runs in `npm test` from its copy in test/fixtures).
const SHARED = join(import.meta.dirname, '../../../shared/fixtures/open_clip');

for (const name of ['tiny-vit-gelu', 'tiny-vit-quickgelu'])
  test(`${name}: open_clip parity within the issue's tolerances`, async () => {
    const r = await checkFixture(join(SHARED, name));
    expect(r.idsEqual).toBe(true);
    expect(r.textMaxAbs).toBeLessThan(1e-4);
    expect(r.imageMaxAbs).toBeLessThan(1e-4);
    expect(r.pixelMeanAbs).toBeLessThan(0.02);
    expect(r.ownCosineMin).toBeGreaterThanOrEqual(0.999);
    expect(r.probsMaxAbs).toBeLessThan(1e-3);
    // clade's preprocessing is PIL's fixed-point resampling bit for bit: the pixels agree to float rounding.
    expect(r.pixelMaxAbs).toBeLessThan(1e-5);
    expect(r.ownProbsMaxAbs).toBeLessThan(1e-3);
  });

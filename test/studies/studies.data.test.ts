import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStudy } from '../../bench/studies/run.ts';

// Short versions of the issue-16 studies (`npm run study -- <name> --short`): they drive the real CLI on the real
// data in ../shared and check the pipeline (files written, every number finite, pages reference their plots), not
// the finding.
function finiteNumbers(x: unknown, path = 'data'): string[] {
  if (typeof x === 'number') return Number.isFinite(x) ? [] : [path];
  if (Array.isArray(x)) return x.flatMap((v, i) => finiteNumbers(v, `${path}[${i}]`));
  if (x && typeof x === 'object')
    return Object.entries(x).flatMap(([k, v]) => finiteNumbers(v, `${path}.${k}`));
  return [];
}

async function check(name: string) {
  const root = mkdtempSync(join(tmpdir(), `clade-study-${name}-`));
  const r = await runStudy(name, {
    short: true,
    out: join(root, 'page'),
    work: join(root, 'work'),
    log: () => {},
  });
  const json = JSON.parse(readFileSync(r.json, 'utf8')) as {
    data: unknown;
    calls: unknown[];
    seeds: number[];
  };
  expect(json.calls.length).toBeGreaterThan(0);
  expect(json.seeds.length).toBeGreaterThan(0);
  expect(finiteNumbers(json.data)).toEqual([]);
  const page = readFileSync(r.page, 'utf8');
  expect(page).toContain(`npm run study -- ${name} --short`);
  expect(r.plots.length).toBeGreaterThan(0);
  for (const p of r.plots) {
    expect(existsSync(p)).toBe(true);
    expect(readFileSync(p, 'utf8').startsWith('<svg')).toBe(true);
    expect(page).toContain(p.split('/').pop()!);
  }
  return json.data as Record<string, unknown>;
}

describe('studies (short versions)', () => {
  it('radial: HierarCaps split, fresh and open_clip-fixture towers fine-tuned, held-out radii, word-count baseline', async () => {
    const d = (await check('radial')) as {
      chains: number;
      perSeed: { split: { finetune: number; heldOut: number } }[];
      summary: Record<string, { runs: unknown[] }>;
    };
    expect(d.chains).toBe(120);
    expect(d.perSeed).toHaveLength(1);
    expect(d.perSeed[0].split.finetune + d.perSeed[0].split.heldOut).toBe(120);
    expect(d.perSeed[0].split.heldOut).toBeGreaterThan(0);
    expect(Object.keys(d.summary)).toEqual(['fresh', 'fixture']);
    for (const t of Object.values(d.summary)) expect(t.runs).toHaveLength(1);
  });
  it('emergent: clade demo per size, orthogonality and trait order; penguins sex within species', async () => {
    const d = (await check('emergent')) as {
      runs: unknown[];
      penguins: {
        rows: number;
        runs: { steps: number; ratio: number; baseline: number }[];
        raw: { ratio: number; baseline: number };
      };
    };
    expect(d.runs.length).toBe(1);
    // the untrained encoder and one budget; 342 complete rows (2 birds without measurements left out)
    expect(d.penguins.runs.map((r) => r.steps)).toEqual([0, 5]);
    expect(d.penguins.rows).toBe(342);
    expect(d.penguins.raw.baseline).toBeCloseTo(2 / 4, 6);
    for (const r of [d.penguins.raw, ...d.penguins.runs]) {
      expect(r.ratio).toBeGreaterThanOrEqual(0);
      expect(r.ratio).toBeLessThanOrEqual(1);
    }
  });
  it('taxonomy: mixed text types vs class names only vs flat supervised, zero-shot by rank', async () => {
    const d = (await check('taxonomy')) as { mean: Record<string, Record<string, number>> };
    expect(Object.keys(d.mean)).toEqual(['mixed', 'names', 'flat']);
    expect(d.mean.names.zs_taxon_coarse).toBeGreaterThanOrEqual(0);
    expect(d.mean.flat.zs_com_fine).toBeUndefined();
  });
  it('clipin: CLIP base vs CLIPin with fixed and learnable λs', async () => {
    const d = (await check('clipin')) as { runs: Record<string, { lambdaSelf?: number }[]> };
    expect(Object.keys(d.runs)).toEqual(['clip', 'clipinFixed', 'clipinLearned']);
    expect(d.runs.clipinLearned[0].lambdaSelf).toBeGreaterThanOrEqual(0);
  });
  it('rld: staged supervised + SimCLR runs, cluster metrics over training, graph head', async () => {
    const d = (await check('rld')) as { trajectories: Record<string, unknown[]> };
    expect(Object.keys(d.trajectories)).toEqual(['supervised', 'SimCLR']);
    for (const t of Object.values(d.trajectories)) expect(t.length).toBe(3);
  });
});

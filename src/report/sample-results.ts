import { Rng } from '../util/rng.ts';
import { describeBytes, makeResult } from './result-files.ts';
import type { CladeResult } from './result-schema.ts';

/**
 * Plausible synthetic results of every kind the report plots (for tests, docs and previewing the report layout);
 * deterministic in `seed`. Not real measurements.
 *
 * @example
 * const html = await renderReport(sampleResults(), { colorBy: 'genus' });
 */
export function sampleResults(seed = 0, opts: { points?: number } = {}): CladeResult[] {
  const rng = new Rng(seed);
  const createdAt = '2026-11-22T06:00:00.000Z';
  const input = describeBytes('synthetic-taxonomy:seed=0', new Uint8Array([1, 2, 3, 4]));
  // Projection: 3 families × 2 genera × 2 species, gaussian blobs.
  const n = opts.points ?? 600;
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const family: string[] = [];
  const genus: string[] = [];
  const species: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = i % 12;
    const f = Math.floor(s / 4);
    const g = Math.floor(s / 2);
    const cx = 6 * Math.cos((2 * Math.PI * f) / 3) + 1.6 * Math.cos(g * 2.1) + 0.6 * Math.cos(s * 1.3);
    const cy = 6 * Math.sin((2 * Math.PI * f) / 3) + 1.6 * Math.sin(g * 2.1) + 0.6 * Math.sin(s * 1.3);
    x[i] = cx + 0.55 * rng.normal();
    y[i] = cy + 0.55 * rng.normal();
    family.push(`family-${f}`);
    genus.push(`genus-${g}`);
    species.push(`species-${s}`);
  }
  const ranks = ['family', 'genus', 'species'];
  return [
    makeResult({
      kind: 'zeroshot',
      name: 'demo',
      createdAt,
      inputs: [input],
      params: { templates: 3, minProb: 0 },
      timings: { embed: 1.2, classify: 0.3 },
      metrics: { top1: 0.62, top5: 0.91, accuracy: { family: 0.93, genus: 0.78, species: 0.62 } },
      series: {
        rankAccuracy: {
          rank: ranks,
          accuracy: { 'zero-shot': [0.93, 0.78, 0.62], kNN: [0.95, 0.84, 0.7] },
          chance: [1 / 3, 1 / 6, 1 / 12],
        },
      },
    }),
    makeResult({
      kind: 'knn',
      name: 'demo',
      createdAt,
      inputs: [input],
      params: { k: 200, T: 0.1 },
      timings: { knn: 0.8 },
      metrics: { top1: 0.7, top5: 0.95 },
      series: { homogeneity: { p: [1, 10, 100, 500], fraction: [0.87, 0.81, 0.64, 0.31] } },
      projection: { method: 'PCA', x, y, labels: { family, genus, species } },
    }),
    makeResult({
      kind: 'rld',
      name: 'demo',
      createdAt,
      inputs: [input],
      params: { T: [1, 0.5, 0.2, 0.1] },
      timings: { rld: 2.4 },
      metrics: { rld: 0.41, ch: 112.5 },
      series: { rld: { T: [1, 0.5, 0.2, 0.1], rld: [0.29, 0.38, 0.45, 0.47] } },
    }),
    makeResult({
      kind: 'radial',
      name: 'demo',
      createdAt,
      inputs: [input],
      params: { steps: 50 },
      timings: { radial: 0.5 },
      metrics: { precision: 0.55, recall: 0.61, dcorr: 0.72 },
      series: {
        radiusByLevel: {
          level: [1, 2, 3, 4],
          radius: [0.31, 0.52, 0.66, 0.74],
          std: [0.05, 0.06, 0.05, 0.07],
        },
      },
    }),
    makeResult({
      kind: 'orthogonality',
      name: 'demo',
      createdAt,
      inputs: [input],
      params: { r: 2, variants: 'adult/juvenile' },
      timings: { orthogonality: 0.1 },
      metrics: { meanRatio: 0.12, meanAngle: 69.5, fisher: [2.1, 3.4, 1.8] },
      series: {
        orthogonality: {
          class: ['species-0', 'species-1', 'species-2'],
          ratio: [0.08, 0.15, 0.13],
          angle: [73.6, 67.2, 68.7],
          baseline: 2 / 64,
        },
        loss: {
          x: [0, 1, 2, 3, 4],
          y: [4.2, 3.1, 2.5, 2.2, 2.05],
          xTitle: 'epoch',
          yTitle: 'training loss',
          title: 'Training loss',
        },
      },
    }),
  ];
}

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderReport, writeReport } from './render-report.ts';
import { makeResult } from './result-files.ts';
import type { CladeResult } from './result-schema.ts';
import { sampleResults } from './sample-results.ts';

const dir = mkdtempSync(join(tmpdir(), 'clade-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each figure's data-plot id mapped to its inner HTML. */
function figures(html: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of html.matchAll(
    /<figure class="clade-plot"[^>]*data-plot="([^"]+)"[^>]*>([\s\S]*?)<\/figure>/g,
  )) {
    out.set(m[1], [...(out.get(m[1]) ?? []), m[2]]);
  }
  return out;
}

let results: CladeResult[];
let html: string;
beforeAll(async () => {
  results = sampleResults(0);
  html = await renderReport(results, { colorBy: 'genus', generatedAt: new Date('2026-01-01T00:00:00Z') });
});

describe('renderReport', () => {
  test('one figure per series kind, each with an inline SVG holding marks', () => {
    const figs = figures(html);
    expect([...figs.keys()].sort()).toEqual(
      ['homogeneity', 'orthogonality', 'projection', 'radius', 'rank-accuracy', 'rld', 'series-loss'].sort(),
    );
    for (const [id, [inner]] of figs) {
      expect(inner, id).toMatch(/<svg[^>]*class="marks"/);
      expect(inner, id).toMatch(/role-mark/);
    }
  });

  test('marks match the data: points per projection point, bars per rank × method, line per curve', () => {
    const figs = figures(html);
    const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;
    // projection: 600 sample points drawn as circle paths in the mark group
    const proj = figs.get('projection')![0];
    const symbolGroup = proj.match(/<g class="mark-symbol role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/)![1];
    expect(count(symbolGroup, /<path /g)).toBe(600);
    expect(proj).toContain('genus-5'); // legend entries are the genus labels
    expect(proj).not.toContain('species-11');
    const bars = figs
      .get('rank-accuracy')![0]
      .match(/<g class="mark-rect role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/)![1];
    expect(count(bars, /<path /g)).toBe(6); // 3 ranks × (zero-shot, kNN)
    // chance beside the bars: one dashed tick per rank at 1 / taxa, and the caption says what it is
    const rankFig = figs.get('rank-accuracy')![0];
    const ticks = rankFig.match(/<g class="mark-rect role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/g)!;
    expect(ticks).toHaveLength(2);
    expect(count(ticks[1], /<path /g)).toBe(3);
    expect(rankFig).toContain('the dashed mark is chance (1 / number of taxa at the rank)');
    expect(figs.get('homogeneity')![0]).toMatch(/mark-line role-mark/);
    expect(figs.get('rld')![0]).toContain('temperature T');
    expect(figs.get('orthogonality')![0]).toMatch(/mark-rule role-mark/); // baseline r / D
    expect(figs.get('radius')![0]).toMatch(/mark-rule role-mark/); // ± std error bars
  });

  test('self-contained: no scripts, stylesheets, images or fonts fetched from anywhere', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(html).toMatch(/^<!doctype html>/);
  });

  test('tables: comparison table and one card per result with metrics and inputs', () => {
    // a wide comparison (many metrics) is turned sideways: one row per metric, one column per result
    expect(html).toContain('<table class="comparison transposed">');
    expect(html).toMatch(/<tr><th scope="row">accuracy\.genus<\/th>/);
    expect((html.match(/<article class="clade-result"/g) ?? []).length).toBe(results.length);
    expect(html).toContain('accuracy.genus');
    expect(html).toContain('synthetic-taxonomy:seed=0');
    expect(html).toContain('demo (zeroshot)'); // duplicate names disambiguated by kind
  });

  test('colour by another rank; an unknown rank is an error naming the rank and the choices', async () => {
    const byFamily = figures(await renderReport(results, { colorBy: 'family' })).get('projection')![0];
    expect(byFamily).toContain('family-2');
    expect(byFamily).not.toContain('genus-5');
    await expect(renderReport(results, { colorBy: 'order' })).rejects.toThrow(
      /field projection\.labels: no labels for rank "order" to colour by; this result has: family, genus, species/,
    );
  });

  test('default colour: the finest rank with at most maxClasses classes', async () => {
    const proj = (h: string) => figures(h).get('projection')![0];
    expect(proj(await renderReport(results))).toContain('species-11'); // 12 species ≤ 20
    expect(proj(await renderReport(results, { maxClasses: 8 }))).toContain('genus-5'); // 12 > 8 ≥ 6 genera
    const fewest = proj(await renderReport(results, { maxClasses: 2 })); // none fit: the rank with fewest classes
    expect(fewest.includes('coloured by family</strong>')).toBe(true);
  });

  test('large projections are subsampled; many classes collapse into "other"', async () => {
    const [, knn] = sampleResults(1, { points: 3000 });
    const h = await renderReport([knn], { colorBy: 'species', maxPoints: 1000, maxClasses: 5 });
    const proj = figures(h).get('projection')![0];
    const symbols = proj.match(/<g class="mark-symbol role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/)![1];
    expect((symbols.match(/<path /g) ?? []).length).toBe(1000);
    expect(proj).toContain('>other<');
    expect(h).toContain('Showing a seeded random 1000 of 3000 points');
  });

  test('only the plots whose data is present; text is escaped', async () => {
    const r = makeResult({
      kind: 'knn',
      name: '<b>x</b>',
      metrics: { top1: 0.5 },
      series: { homogeneity: { p: [1, 10], fraction: [0.9, 0.7] } },
    });
    const h = await renderReport([r], { title: 'A & B' });
    expect([...figures(h).keys()]).toEqual(['homogeneity']);
    expect(h).toContain('<title>A &amp; B</title>');
    expect(h).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(h).not.toContain('<b>x</b>');
    const none = await renderReport([makeResult({ kind: 'knn', metrics: { top1: 0.5 } })]);
    expect(figures(none).size).toBe(0);
    expect(none).toContain('carry no plot data');
  });

  test('several results share one plot per series, coloured by result', async () => {
    const a = makeResult({
      kind: 'rld',
      name: 'simclr',
      metrics: {},
      series: { rld: { T: [1, 0.1], rld: [0.2, 0.3] } },
    });
    const b = makeResult({
      kind: 'rld',
      name: 'supervised',
      metrics: {},
      series: { rld: { T: [1, 0.1], rld: [0.4, 0.5] } },
    });
    const figs = figures(await renderReport([a, b]));
    expect(figs.get('rld')).toHaveLength(1);
    expect(figs.get('rld')![0]).toContain('simclr');
    expect(figs.get('rld')![0]).toContain('supervised');
    // one line per result, each labelled with its data
    expect((figs.get('rld')![0].match(/mark-line role-mark/g) ?? []).length).toBe(2);
    expect(figs.get('rld')![0]).toMatch(/aria-label="[^"]*RLD \(modularity\): 0\.5; result: supervised"/);
  });

  test('undefined values (null) and an unlabelled projection still render', async () => {
    const r = makeResult({
      kind: 'rld',
      metrics: { rld: Number.NaN },
      series: { rld: { T: [1, 0.5, 0.1], rld: [0.3, Number.NaN, 0.5] } },
      projection: { x: [0, 1, 2], y: [1, 0, 2], labels: {} },
    });
    const figs = figures(await renderReport([r]));
    expect(figs.get('rld')![0]).toMatch(/mark-line role-mark/);
    const proj = figs.get('projection')![0];
    expect(
      proj.match(/<g class="mark-symbol role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/)![1].match(/<path /g),
    ).toHaveLength(3);
    await expect(renderReport([r], { colorBy: 'genus' })).rejects.toThrow(/this result has: \(none\)/);
  });

  test('writeReport writes atomically and returns the plot count', async () => {
    const path = join(dir, 'sub', 'report.html');
    expect(await writeReport(path, results, { colorBy: 'genus' })).toBe(7);
    expect(readFileSync(path, 'utf8')).toContain('data-plot="projection"');
  });
});

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeReport } from './render-report.ts';
import { sampleResults } from './sample-results.ts';

// Renders the HTML report in headless Chromium (Debian package `chromium`) and finds the plots. Skipped, with the
// reason printed, when the browser is not installed (install it with `apt-get install -y chromium`).
const CHROMIUM = process.env.CLADE_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const SKIP_REASON = `skipped: ${CHROMIUM} not found (apt-get install -y chromium, or set CLADE_CHROMIUM)`;
if (!haveChromium) console.warn(`report-browser.test.ts ${SKIP_REASON}`);

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const EXPECTED = [
  'projection',
  'rank-accuracy',
  'homogeneity',
  'rld',
  'radius',
  'orthogonality',
  'series-loss',
];

describe.skipIf(!haveChromium)(
  `HTML report in headless Chromium${haveChromium ? '' : ` (${SKIP_REASON})`}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'clade-report-browser-'));
    const file = join(dir, 'report.html');
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    beforeAll(async () => {
      await writeReport(file, sampleResults(0), { colorBy: 'genus' });
    });

    test('every plot is laid out with visible SVG marks, and the page makes no network request', async () => {
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const requests: string[] = [];
        const errors: string[] = [];
        page.on('request', (r) => requests.push(r.url()));
        page.on('pageerror', (e) => errors.push(String(e)));
        const url = pathToFileURL(file).href;
        await page.goto(url, { waitUntil: 'load' });
        const plots = await page.$$eval('figure.clade-plot', (figs) =>
          figs.map((f) => {
            const svg = f.querySelector('svg');
            const box = svg?.getBoundingClientRect();
            // marks = drawn data items inside vega's mark groups (points, bars, lines, rules)
            const marks = Array.from(f.querySelectorAll('g.role-mark > path, g.role-mark > line')).filter(
              (m) => {
                const b = (m as SVGGraphicsElement).getBBox();
                return b.width > 0 || b.height > 0;
              },
            );
            return {
              id: f.getAttribute('data-plot'),
              width: box?.width ?? 0,
              height: box?.height ?? 0,
              marks: marks.length,
              caption: f.querySelector('figcaption strong')?.textContent ?? '',
            };
          }),
        );
        expect(plots.map((p) => p.id)).toEqual(EXPECTED);
        for (const p of plots) {
          expect(p.width, p.id!).toBeGreaterThan(200);
          expect(p.height, p.id!).toBeGreaterThan(150);
          expect(p.marks, p.id!).toBeGreaterThan(0);
          expect(p.caption, p.id!).not.toBe('');
        }
        expect(plots.find((p) => p.id === 'projection')!.marks).toBe(600);
        expect(plots.find((p) => p.id === 'rank-accuracy')!.marks).toBe(6 + 3); // bars + chance ticks
        // projection coloured by genus: 6 legend entries with distinct colours
        const legend = await page.$$eval('[data-plot="projection"] g.role-legend-symbol path', (ps) =>
          ps.map((p) => p.getAttribute('fill')),
        );
        expect(new Set(legend).size).toBe(6);
        expect(await page.locator('article.clade-result').count()).toBe(5);
        expect(requests).toEqual([url]);
        expect(errors).toEqual([]);
        await page.screenshot({ path: join(tmpdir(), 'clade-report-browser-test.png'), fullPage: true });
        // at 1280 px nothing scrolls sideways: not the page, not a plot, not a table
        const overflow = await page.evaluate(() => ({
          page: document.documentElement.scrollWidth - window.innerWidth,
          boxes: Array.from(document.querySelectorAll('figure.clade-plot, .table-wrap, article.clade-result'))
            .filter((e) => e.scrollWidth > e.clientWidth + 1)
            .map(
              (e) => `${e.tagName.toLowerCase()}.${e.className} ${e.id}: ${e.scrollWidth} > ${e.clientWidth}`,
            ),
        }));
        expect(overflow.page).toBeLessThanOrEqual(0);
        expect(overflow.boxes).toEqual([]);
        // legend labels are whole (vega truncates long ones with an ellipsis)
        const legendText = await page.$$eval('g.role-legend-label text', (ts) =>
          ts.map((t) => t.textContent ?? ''),
        );
        expect(legendText.filter((t) => t.endsWith('…'))).toEqual([]);
      } finally {
        await browser.close();
      }
    });
  },
);

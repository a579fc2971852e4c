/**
 * Explorer in this machine's Chromium (headless, software WebGL): open time (navigation → interactive scatter) at
 * 1,000,000 points and frame time at 200,000 points, on synthetic clustered data written by `writeExplorer`
 * (precomputed 2-D layout, 4 taxonomy ranks, 32-d embeddings, no thumbnails).
 *
 *   npm run bench:explore [-- --sizes 200000,1000000]
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { writeExplorer } from '../../src/explore/write-explorer.ts';
import { Rng } from '../../src/util/rng.ts';

const CHROMIUM = process.env.CLADE_CHROMIUM ?? '/usr/bin/chromium';
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
const sizes = (
  process.argv.includes('--sizes') ? process.argv[process.argv.indexOf('--sizes') + 1] : '200000,1000000'
)
  .split(',')
  .map(Number);
if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install -y chromium)`);
const cpu = execSync("lscpu | grep 'Model name' | sed 's/.*: *//'").toString().trim();
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
console.log(`CPU: ${cpu}; Chromium ${execSync(`${CHROMIUM} --version`).toString().trim()}`);

async function folder(n: number, dir: string): Promise<string> {
  const rng = new Rng(n);
  const D = 32;
  const data = new Float32Array(n * D);
  const xy = new Float32Array(n * 2);
  const ranks = ['kingdom', 'order', 'genus', 'species'];
  const widths = [3, 12, 60, 600];
  const columns: Record<string, string[]> = Object.fromEntries(ranks.map((r) => [r, new Array<string>(n)]));
  for (let i = 0; i < n; i++) {
    const sp = Math.floor(rng.float() * 600);
    ranks.forEach((r, k) => (columns[r][i] = `${r}-${Math.floor((sp * widths[k]) / 600)}`));
    const a = (sp / 600) * 2 * Math.PI;
    xy[2 * i] = Math.cos(a) * (1 + (sp % 7) / 7) + 0.05 * rng.normal();
    xy[2 * i + 1] = Math.sin(a) * (1 + (sp % 7) / 7) + 0.05 * rng.normal();
    for (let j = 0; j < D; j++) data[i * D + j] = (j === sp % D ? 3 : 0) + rng.normal();
  }
  const out = join(dir, `n${n}`);
  const t0 = performance.now();
  await writeExplorer(out, {
    title: `bench ${n}`,
    ids: Array.from({ length: n }, (_, i) => `point-${i}`),
    embeddings: { data, n, d: D },
    columns,
    ranks,
    projections: { layout: { xy: { data: xy, n, d: 2 }, method: 'synthetic' } },
    projectionOptions: { which: [] },
  });
  console.log(
    `n = ${n.toLocaleString('en')}: folder written in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'clade-bench-explore-'));
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
try {
  for (const n of sizes) {
    const out = await folder(n, dir);
    for (let rep = 0; rep < 2; rep++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const t0 = performance.now();
      await page.goto(pathToFileURL(join(out, 'index.html')).href);
      await page.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
      const open = (performance.now() - t0) / 1000;
      const frames: number[] = [];
      for (let f = 0; f < 5; f++)
        frames.push(
          await page.evaluate(() =>
            (window as unknown as { explorer: { frame(): Promise<number> } }).explorer.frame(),
          ),
        );
      frames.sort((a, b) => a - b);
      console.log(
        `n = ${n.toLocaleString('en')} run ${rep + 1}: open ${open.toFixed(2)} s, frame median ${frames[2].toFixed(0)} ms (min ${frames[0].toFixed(0)}, max ${frames[4].toFixed(0)}); load ${load()}`,
      );
      await page.close();
    }
  }
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}

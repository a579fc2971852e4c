import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { similarityTopK } from '../analysis/top-k.ts';
import { run as embedCli } from '../cli/commands/embed.ts';
import { embedImages, stackImages } from '../embed/embed.ts';
import { imagePreprocessing } from '../embed/embed.ts';
import { l2Normalize, type Embeddings } from '../io/embeddings.ts';
import { readNpy } from '../io/npy.ts';
import type { Cell } from '../io/metadata.ts';
import { writeModelDir } from '../train/model-dir.ts';
import { clipTaxonomy } from '../train/recipes/clip-taxonomy.ts';
import { syntheticImageText } from '../data/pipelines/synthetic.ts';
import { Rng } from '../util/rng.ts';
import { serveExplorer } from './serve.ts';
import { embedTaxonomyText, taxonomyNodes } from './taxonomy-text.ts';
import { writeExplorer } from './write-explorer.ts';

// The explorer in headless Chromium (Debian package `chromium`), from file:// and over http. Skipped, with the
// reason printed, when the browser is not installed (apt-get install -y chromium). Runs in `npm test` (~30 s).
const CHROMIUM = process.env.CLADE_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const SKIP_REASON = `skipped: ${CHROMIUM} not found (apt-get install -y chromium, or set CLADE_CHROMIUM)`;
if (!haveChromium) console.warn(`explorer-browser.test.ts ${SKIP_REASON}`);

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

type Page = import('playwright-core').Page;
type Browser = import('playwright-core').Browser;
interface ExplorerApi {
  state(): { visible: number; colorBy: string; focus: number };
  neighbours(i: number, k?: number): Promise<number[]>;
  colors(): { palette: string[]; values: number[] };
  screenPosition(i: number): [number, number] | undefined;
  lastEmbedding(): number[] | null;
  visible(): number[] | null;
  ids(idx: number[]): string[];
  selection(): number[];
}
declare const explorer: ExplorerApi;

describe.skipIf(!haveChromium)(
  `explorer in headless Chromium${haveChromium ? '' : ` (${SKIP_REASON})`}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'clade-explorer-'));
    const model = join(dir, 'model');
    const out = join(dir, 'explorer');
    let emb: Embeddings;
    let ids: string[];
    let genus: Cell[];
    let browser: Browser;
    let close: () => void = () => {};
    let httpUrl = '';

    beforeAll(async () => {
      // The current web/ sources (not a stale build): Vite builds the app in about a second.
      const { build } = await import('vite');
      await build({ configFile: join(import.meta.dirname, '../../web/vite.config.ts'), logLevel: 'error' });
      // An untrained tiny CLIP-style model is enough: the page must reproduce what its towers compute.
      const recipe = clipTaxonomy({
        seed: 4,
        perSpecies: 1,
        batchSize: 8,
        imageChannels: [8, 16, 16],
        textWidth: 16,
        textDepth: 1,
        embedDim: 16,
        contextLength: 12,
      });
      writeModelDir(model, recipe, recipe.init(new Rng(1)), 8);
      const s = await stackImages(
        syntheticImageText({ seed: 4, perSpecies: 2, size: 32, split: 'test', mode: 'eval', views: 1 }),
      );
      emb = await embedImages(model, s.images, s.samples.length);
      ids = s.samples.map((x) => x.id);
      const tax = recipe.data.synthetic!.taxonomy;
      const columns: Record<string, Cell[]> = {};
      tax.ranks.forEach((r, ri) => (columns[r] = s.samples.map((x) => tax.nameAt(x.label!, ri) ?? null)));
      genus = columns[tax.ranks[tax.ranks.length - 2]];
      const ranks = [...tax.ranks];
      await writeExplorer(out, {
        title: 'test',
        ids,
        embeddings: emb,
        columns,
        ranks,
        projectionOptions: { which: ['pca', 'umap'] },
        images: { get: async (i) => s.samples[i].image ?? null },
        text: await embedTaxonomyText(model, taxonomyNodes(columns, ranks)),
        model: { dir: model, preprocessing: imagePreprocessing(model) },
        results: [],
      });
      const served = await serveExplorer(out, 0);
      close = () => served.server.close();
      httpUrl = served.url;
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    });
    afterAll(async () => {
      await browser?.close();
      close();
      rmSync(dir, { recursive: true, force: true });
    });

    async function open(url: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
      const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(url);
      await page.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
      return { page, errors, requests };
    }

    test('opens from file:// and over http with no console error and no request leaving the folder', async () => {
      for (const url of [pathToFileURL(join(out, 'index.html')).href, httpUrl]) {
        const { page, errors, requests } = await open(url);
        expect(await page.textContent('#count')).toContain(`showing ${emb.n} of ${emb.n} points`);
        const base = url.replace(/index\.html$/, '');
        expect(requests.filter((r) => !r.startsWith(base) && !r.startsWith('blob:'))).toEqual([]);
        await page.click('#tab-radial');
        await page.waitForSelector('#radial-canvas');
        expect(await page.textContent('#radial-caption')).toMatch(/taxonomy texts/);
        await page.click('#tab-results');
        await page.click('#tab-scatter');
        expect(errors).toEqual([]);
        await page.close();
      }
    });

    test('colour by rank: the rank slider recolours the points', async () => {
      const { page, errors } = await open(httpUrl);
      const canvas = page.locator('#scatter');
      const before = await canvas.screenshot();
      const species = await page.evaluate(() => explorer.colors().values);
      await page.locator('#rank-slider').fill('0');
      await page.waitForFunction(() => explorer.state().colorBy !== 'species');
      await page.waitForTimeout(300);
      const after = await canvas.screenshot();
      const kingdom = await page.evaluate(() => explorer.colors().values);
      expect(await page.evaluate(() => explorer.state().colorBy)).toBe(
        await page.$eval('#rank-slider', () => explorer.state().colorBy),
      );
      expect(new Set(kingdom).size).toBeLessThan(new Set(species).size);
      expect(Buffer.compare(before, after)).not.toBe(0);
      expect(errors).toEqual([]);
      await page.close();
    });

    test('a search narrows the points to those matching it', async () => {
      const { page } = await open(httpUrl);
      const name = String(genus[0]);
      await page.fill('#search', name);
      await page.waitForFunction((n) => explorer.state().visible < n, emb.n);
      const visible = (await page.evaluate(() => explorer.visible()))!;
      const expected = genus.flatMap((g, i) =>
        String(g).toLowerCase().includes(name.toLowerCase()) ? [i] : [],
      );
      expect(visible.length).toBeGreaterThan(0);
      // every point whose genus matches is shown (ids or other ranks may match too, never fewer)
      expect(visible).toEqual(expect.arrayContaining(expected));
      expect(Number(await page.getAttribute('#count', 'data-visible'))).toBe(visible.length);
      await page.close();
    });

    test('a lasso (shift-drag) selects the points inside it; Export CSV downloads their ids and metadata', async () => {
      const { page, errors } = await open(httpUrl);
      const box = (await page.locator('#scatter').boundingBox())!;
      const cx = box.x + box.width / 2;
      const cy = box.y + box.height / 2;
      const r = Math.min(box.width, box.height) * 0.45;
      await page.waitForTimeout(500); // the spatial index is built asynchronously
      await page.keyboard.down('Shift');
      await page.mouse.move(cx + r, cy);
      await page.mouse.down();
      for (let k = 1; k <= 16; k++) {
        const a = (2 * Math.PI * k) / 16;
        await page.mouse.move(cx + r * Math.cos(a), cy + r * Math.sin(a), { steps: 2 });
      }
      await page.mouse.up();
      await page.keyboard.up('Shift');
      await page.waitForSelector('#export-csv');
      const selected = (await page.evaluate(() => explorer.selection())) as number[];
      expect(selected.length).toBeGreaterThan(1);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
      const csv = readFileSync(await download.path(), 'utf8')
        .trim()
        .split('\n');
      expect(csv[0]).toBe('id,kingdom,order,genus,species');
      expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(selected.map((i) => ids[i]));
      expect(errors).toEqual([]);
      await page.close();
    });

    test("clicking a point lists the same 10 neighbours as clade analyze's kNN (cosine top-k)", async () => {
      const { page, errors } = await open(httpUrl);
      const z = l2Normalize(emb);
      const ref = await similarityTopK(z, z, 10, { excludeSelf: true, backend: 'js' });
      const target = 17;
      const [x, y] = (await page.evaluate((i) => explorer.screenPosition(i), target))!;
      const box = (await page.locator('#scatter').boundingBox())!;
      // The scatter builds its spatial index asynchronously (in a worker): a click before it is ready finds no point.
      for (let attempt = 0; ; attempt++) {
        await page.mouse.click(box.x + x, box.y + y);
        try {
          await page.waitForSelector('#neighbour-list li', { timeout: 2_000 });
          break;
        } catch (e) {
          if (attempt === 9) throw e;
        }
      }
      const focus = await page.evaluate(() => explorer.state().focus);
      expect(focus).toBeGreaterThanOrEqual(0);
      const listed = await page.$$eval('#neighbour-list li', (ls) =>
        ls.map((l) => Number(l.getAttribute('data-index'))),
      );
      expect(listed).toEqual(Array.from(ref.index.subarray(focus * 10, focus * 10 + 10)));
      for (const i of [0, 5, 42, emb.n - 1])
        expect(await page.evaluate((q) => explorer.neighbours(q), i)).toEqual(
          Array.from(ref.index.subarray(i * 10, i * 10 + 10)),
        );
      expect(errors).toEqual([]);
      await page.close();
    });

    test('a dropped image gets the embedding clade embed computes (within 1e-4), its neighbours and zero-shot labels', async () => {
      // An image of another size than the model's input, so resize and centre crop are exercised.
      const folder = join(dir, 'drop');
      mkdirSync(join(folder, 'x'), { recursive: true });
      const w = 45;
      const h = 38;
      const px = Buffer.alloc(w * h * 3);
      for (let i = 0; i < px.length; i++) px[i] = (i * 37 + ((i / 97) | 0) * 11) % 251;
      const png = join(folder, 'x', 'probe.png');
      await sharp(px, { raw: { width: w, height: h, channels: 3 } })
        .png()
        .toFile(png);
      const npy = join(dir, 'probe.npy');
      expect(await embedCli([model, folder, '--out', npy, '--quiet'])).toBe(0);
      const want = readNpy(npy);
      const { page, errors } = await open(pathToFileURL(join(out, 'index.html')).href);
      const dt = await page.evaluateHandle(
        ({ bytes }) => {
          const d = new DataTransfer();
          d.items.add(new File([new Uint8Array(bytes)], 'probe.png', { type: 'image/png' }));
          return d;
        },
        { bytes: Array.from(readFileSync(png)) },
      );
      await page.dispatchEvent('body', 'drop', { dataTransfer: dt });
      await page.waitForSelector('#drop-result', { timeout: 60_000 });
      const got = (await page.evaluate(() => explorer.lastEmbedding()))!;
      const ref = Array.from(want.data as Float32Array);
      expect(got).toHaveLength(ref.length);
      const maxDiff = Math.max(...got.map((v, j) => Math.abs(v - ref[j])));
      expect(maxDiff).toBeLessThan(1e-4);
      // neighbours of the dropped image = cosine top-10 among the points
      const q = l2Normalize({ data: Float32Array.from(ref), n: 1, d: ref.length });
      const top = await similarityTopK(q, l2Normalize(emb), 10, { backend: 'js' });
      const listed = await page.$$eval('#drop-neighbours li', (ls) =>
        ls.map((l) => Number(l.getAttribute('data-index'))),
      );
      expect(listed).toEqual(Array.from(top.index));
      expect(await page.$$eval('#drop-result tr', (r) => r.length)).toBe(4); // one row per rank
      expect(errors).toEqual([]);
      await page.close();
    });
  },
);

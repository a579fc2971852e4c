import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hierarcapsEvaluate, type HierarCapsItem } from '../analysis/hierarcaps.ts';
import { radius } from '../analysis/radial.ts';
import { readHierarCaps } from '../data/readers/hierarcaps.ts';
import { l2Normalize, row, type Embeddings } from '../io/embeddings.ts';
import { loadEmbeddings } from '../io/load-embeddings.ts';
import { embedToFile } from '../embed/embed-to-file.ts';
import { describeInput, makeResult, writeResult, type CladeResult, type InputRef } from '../report/index.ts';
import { CladeError } from '../util/errors.ts';

export interface HierarCapsRunOptions {
  /** The HierarCaps folder (`hierarcaps_test.csv`, `images_64x64.bin`) or the test CSV itself. */
  readonly data: string;
  /** A model (open_clip folder or clade model directory) that embeds the test images and the chain texts. */
  readonly model?: string;
  /** Or precomputed embeddings: one image row per test row, in file order … */
  readonly images?: string;
  /** … and the 4 levels of every test row (row-major: row i level k at 4i + k), then the empty text (the root). */
  readonly texts?: string;
  /** Evaluate only the first N test rows (pool and d_corr over those rows). */
  readonly limit?: number;
  /** Threshold steps of the sweep (default 50, methods §C.6). */
  readonly steps?: number;
  readonly outDir: string;
  readonly log?: (l: string) => void;
}

const LEVELS = 4;

/**
 * `clade hierarcaps`: the HierarCaps evaluation (methods §C.6) — candidate pool = the 4n positive test texts
 * (duplicates kept), radii around the normalised root `e("")`, 50-step hierarchical retrieval per image, mean
 * precision P and recall R, and d_corr (Kendall τ-b of each chain's radii against its levels) — from a model (embedded
 * as `clade embed` does: the 64×64 test images through the model's preprocessing, the texts through its tokenizer) or
 * from precomputed embeddings.
 */
export async function runHierarCaps(o: HierarCapsRunOptions): Promise<CladeResult> {
  const log = o.log ?? (() => {});
  if (!!o.model === !!(o.images || o.texts))
    throw new CladeError('give either --model or --images and --texts', { option: '--model' });
  if (!o.model && !(o.images && o.texts))
    throw new CladeError('precomputed embeddings need both --images and --texts', {
      option: o.images ? '--texts' : '--images',
    });
  const isDir = existsSync(o.data) && statSync(o.data).isDirectory();
  const csv = isDir ? join(o.data, 'hierarcaps_test.csv') : o.data;
  const bin = isDir ? join(o.data, 'images_64x64.bin') : undefined;
  if (o.model && (!bin || !existsSync(bin)))
    throw new CladeError('embedding the test images needs images_64x64.bin beside hierarcaps_test.csv', {
      file: bin ?? o.data,
    });
  const ds = readHierarCaps(csv);
  const n = Math.min(ds.length, o.limit ?? Infinity);
  if (n === 0) throw new CladeError('no test rows', { file: csv });
  const chains: string[][] = [];
  for (let i = 0; i < n; i++) chains.push([...ds.get(i).captions!]);
  const pool = chains.flat();
  let images: Embeddings;
  let texts: Embeddings;
  const inputs: InputRef[] = [await describeInput(csv)];
  const t0 = performance.now();
  if (o.model) {
    // the path of `clade embed` (open_clip folders and clade model directories alike), through temporary files
    const tmp = mkdtempSync(join(tmpdir(), 'clade-hierarcaps-'));
    try {
      log(`embedding ${n} images and ${pool.length + 1} texts with ${o.model}`);
      const warn = (m: string) => log(`clade hierarcaps: ${m}`);
      await embedToFile(o.model, `hierarcaps:${csv}?images=${bin}`, join(tmp, 'images.npy'), {
        limit: n,
        warn,
      });
      writeFileSync(join(tmp, 'levels.txt'), [...pool, ''].join('\n') + '\n'); // the levels, then the empty text
      await embedToFile(o.model, join(tmp, 'levels.txt'), join(tmp, 'texts.npy'), { tower: 'text', warn });
      images = (await loadEmbeddings(join(tmp, 'images.npy'))).embeddings;
      texts = (await loadEmbeddings(join(tmp, 'texts.npy'))).embeddings;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    if (texts.n !== pool.length + 1)
      throw new CladeError(`embedded ${texts.n} texts, expected ${pool.length + 1}`, { file: csv });
    inputs.push(await describeInput(bin!));
  } else {
    images = (await loadEmbeddings(o.images!)).embeddings;
    texts = (await loadEmbeddings(o.texts!)).embeddings;
    if (images.n < n)
      throw new CladeError(`${images.n} image embeddings for ${n} test rows`, { file: o.images });
    const want = LEVELS * ds.length + 1;
    if (texts.n !== want && texts.n !== LEVELS * n + 1)
      throw new CladeError(
        `expected ${want} text embeddings (4 levels per test row, then the empty text), got ${texts.n}`,
        { file: o.texts },
      );
    if (texts.d !== images.d)
      throw new CladeError(`text dimension ${texts.d} differs from image dimension ${images.d}`, {
        file: o.texts,
      });
    inputs.push(await describeInput(o.images!), await describeInput(o.texts!));
    // the first 4n level rows, and the root (last row)
    const root = texts.data.subarray((texts.n - 1) * texts.d);
    const data = new Float32Array((pool.length + 1) * texts.d);
    data.set(texts.data.subarray(0, pool.length * texts.d));
    data.set(root, pool.length * texts.d);
    texts = { data, n: pool.length + 1, d: texts.d };
    images = { data: images.data.subarray(0, n * images.d), n, d: images.d };
  }
  const embedSeconds = (performance.now() - t0) / 1000;
  const root = row(l2Normalize({ data: texts.data.subarray(pool.length * texts.d), n: 1, d: texts.d }), 0);
  const levels: Embeddings = {
    data: texts.data.subarray(0, pool.length * texts.d),
    n: pool.length,
    d: texts.d,
  };
  const items: HierarCapsItem[] = chains.map((c, i) => ({ image: i, chains: [c] }));
  const chainRows = chains.map((_, i) => Array.from({ length: LEVELS }, (_, k) => LEVELS * i + k));
  const t1 = performance.now();
  const r = hierarcapsEvaluate(images, levels, pool, root, items, chainRows, { steps: o.steps });
  // mean radius (± std) of each level, the Radial Embedding picture: generic levels lie nearer the root
  const unit = l2Normalize(levels);
  const byLevel = Array.from({ length: LEVELS }, (_, k) =>
    chainRows.map((rows) => radius(row(unit, rows[k]), root)),
  );
  const meanOf = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const result = makeResult({
    kind: 'hierarcaps',
    name: 'HierarCaps hierarchical retrieval',
    inputs: o.model ? [...inputs, await describeModel(o.model)] : inputs,
    params: {
      source: o.model ? `model ${o.model}` : 'precomputed embeddings',
      rows: n,
      pool: pool.length,
      steps: o.steps ?? 50,
      root: 'normalised embedding of the empty text',
      protocol: 'docs/methods.md §C.6 (hierarchical_retrieval.py)',
    },
    timings: { embed: embedSeconds, evaluate: (performance.now() - t1) / 1000 },
    metrics: { precision: r.precision, recall: r.recall, dCorr: r.dCorr },
    series: {
      radiusByLevel: {
        level: ['level 1', 'level 2', 'level 3', 'level 4'],
        radius: byLevel.map(meanOf),
        std: byLevel.map((v) => Math.sqrt(meanOf(v.map((x) => (x - meanOf(v)) ** 2)))),
      },
    },
  });
  writeResult(o.outDir, result);
  return result;
}

/** An input reference for a model: its main weights file (open_clip safetensors or the image tower). */
async function describeModel(dir: string): Promise<InputRef> {
  for (const f of ['open_clip_model.safetensors', 'model.safetensors', 'image.onnx', 'model.json'])
    if (existsSync(join(dir, f))) return describeInput(join(dir, f));
  return describeInput(dir);
}

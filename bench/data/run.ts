/**
 * `npm run bench:data [-- --json out.json] [--rounds 3] [--n 4096] [--images 256] [--jpeg-epochs 6] [--workers 2]`
 * Images/s of clade's data pipeline and, when python3 has torchvision, of the same pipeline in torchvision
 * (DataLoader, 2 workers, OMP_WAIT_POLICY=PASSIVE, torch.set_num_threads(2)), interleaved round by round;
 * medians reported; the ratio is the median of the per-round clade/torchvision ratios.
 *   cifar-simclr-2view: CIFAR-10 test records (synthetic if absent) -> two SimCLR views at 32 px.
 *   jpeg-rrc224: JPEG decode + RandomResizedCrop(224) + flip + Normalize over JPEGs written here with sharp;
 *     clade's default decode (libjpeg-turbo, fast IDCT).
 *   jpeg-rrc224-exact: the same with sharp's exact decode (PIL's pixels, as torchvision decodes).
 *   jpeg-rrc224-region: exact, drawing the crop from the JPEG header and decoding only down to the crop.
 */
// First: forks the spawn helper while this process is small (bench/spawn.ts).
import { spawnJson } from '../spawn.ts';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { DataLoader } from '../../src/data/loader/loader.ts';
import { pipelineSource, type PipelineSource } from '../../src/data/pipelines/index.ts';
import { writeFileAtomic } from '../../src/util/atomic-write.ts';
import { baselineJson, tuneBaseline, type Baseline } from '../reference.ts';
import { Rng } from '../../src/util/rng.ts';
import { findTorchPython, median } from '../common.ts';

const args = process.argv.slice(2);
const opt = (k: string, d: string) => {
  const i = args.indexOf(`--${k}`);
  return i >= 0 ? args[i + 1] : d;
};
const rounds = Number(opt('rounds', '3'));
const n = Number(opt('n', '4096'));
const nImages = Number(opt('images', '256'));
/** Epochs over the JPEG folder per measurement (long enough that one measurement is a few seconds). */
const jpegEpochs = Number(opt('jpeg-epochs', '6'));
const workers = Number(opt('workers', '2'));
const jsonOut = opt('json', '');
const CIFAR = fileURLToPath(new URL('../../../shared/datasets/cifar-10/test_batch.bin', import.meta.url));
const cifarFile = existsSync(CIFAR) ? CIFAR : '';
const python = findTorchPython('torchvision');
const tvScript = fileURLToPath(new URL('./torchvision_bench.py', import.meta.url));

interface Case {
  name: string;
  source: PipelineSource;
  batch: number;
  epochs: number;
  /** torchvision run to compare with; cases sharing a key share one torchvision measurement per round. */
  tvKey: string;
  tvArgs: string[];
}

/** An ImageFolder (10 class folders) of photo-like 400x300 JPEGs: smooth colour fields plus noise, so they compress like real images (~30-60 KB). */
async function writeJpegs(dir: string, count: number): Promise<void> {
  const rng = new Rng(7);
  for (let k = 0; k < count; k++) {
    const w = 400;
    const h = 300;
    const px = new Uint8Array(w * h * 3);
    const [a, b, c] = [rng.float() * 6, rng.float() * 6, rng.float() * 6];
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 3;
        const noise = rng.float() * 40;
        px[i] = 110 + 90 * Math.sin(x / 37 + a) + noise;
        px[i + 1] = 110 + 90 * Math.sin(y / 23 + b) + noise;
        px[i + 2] = 110 + 90 * Math.sin((x + y) / 51 + c) + noise;
      }
    const jpg = await sharp(px, { raw: { width: w, height: h, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer();
    writeFileAtomic(join(dir, `class_${k % 10}`, `img_${String(k).padStart(4, '0')}.jpg`), jpg);
  }
}

/** Images/s from the first batch to the last (worker start-up excluded). */
async function runClade(c: Case): Promise<number> {
  const loader = await DataLoader.create({
    source: c.source,
    batchSize: c.batch,
    seed: 1,
    epochs: c.epochs,
    workers,
  });
  let t0 = 0;
  let images = 0;
  try {
    for await (const b of loader) {
      if (!t0) t0 = performance.now();
      else images += b.indices.length;
    }
  } finally {
    await loader.close();
  }
  return images / ((performance.now() - t0) / 1000);
}

async function runTorchvision(c: Case, baseline: Baseline): Promise<number | null> {
  if (!python) return null;
  const j = await spawnJson<{ images_per_s: number }>(
    `torchvision run (${c.name})`,
    python,
    [tvScript, ...c.tvArgs, '--batch', String(c.batch), '--workers', String(workers)],
    baseline.config.env,
  );
  return j?.images_per_s ?? null;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'clade-bench-jpeg-'));
  try {
    await writeJpegs(dir, nImages);
    const cases: Case[] = [
      {
        name: 'cifar-simclr-2view',
        source: pipelineSource('bench-cifar-simclr', { file: cifarFile, n }),
        batch: 256,
        epochs: 1,
        tvKey: 'cifar',
        tvArgs: ['--case', 'cifar', '--cifar', cifarFile, '--n', String(n), '--epochs', '1'],
      },
      {
        name: 'jpeg-rrc224',
        source: pipelineSource('bench-jpeg-rrc224', { dir }),
        batch: 32,
        epochs: jpegEpochs,
        tvKey: 'jpeg',
        tvArgs: ['--case', 'jpeg', '--dir', dir, '--epochs', String(jpegEpochs)],
      },
      ...(['exact', 'region'] as const).map((decode) => ({
        // Exact decodes (pixel-identical to PIL); 'region' draws the crop from the JPEG header first and decodes only
        // rows down to the crop.
        name: `jpeg-rrc224-${decode}`,
        source: pipelineSource('bench-jpeg-rrc224', { dir, decode }),
        batch: 32,
        epochs: jpegEpochs,
        tvKey: 'jpeg',
        tvArgs: ['--case', 'jpeg', '--dir', dir, '--epochs', String(jpegEpochs)],
      })),
    ];
    if (!cifarFile)
      console.log('CIFAR-10 not found: synthetic 32x32 images (torchvision side skipped for case a)');
    console.log(`workers ${workers}, rounds ${rounds}, torchvision: ${python ?? 'not found'}`);
    // torchvision's loaders do no GEMMs: the check is printed and recorded, the configuration is chosen by the
    // elementwise throughput, and validity does not depend on sgemm.
    const baseline = await tuneBaseline(python, { gemmBound: false });
    const res = new Map<string, { clade: number[]; tv: number[] }>(
      cases.map((c) => [c.name, { clade: [], tv: [] }]),
    );
    for (let r = 0; r < rounds; r++) {
      const tvDone = new Map<string, number | null>();
      for (const c of cases) {
        const cl = await runClade(c);
        res.get(c.name)!.clade.push(cl);
        if (!tvDone.has(c.tvKey))
          tvDone.set(c.tvKey, c.tvKey === 'cifar' && !cifarFile ? null : await runTorchvision(c, baseline));
        const tv = tvDone.get(c.tvKey)!;
        if (tv !== null) res.get(c.name)!.tv.push(tv);
        console.log(
          `round ${r + 1} ${c.name}: clade ${cl.toFixed(0)} img/s, torchvision ${tv?.toFixed(0) ?? '-'}`,
        );
      }
    }
    const rows = cases.map((c) => {
      const { clade, tv } = res.get(c.name)!;
      const cm = median(clade);
      const tm = tv.length ? median(tv) : null;
      // Ratio: median over rounds of the paired (same-round) ratios, which cancels most of the machine's load drift.
      const ratio = tv.length === clade.length ? median(clade.map((v, i) => v / tv[i])) : null;
      return {
        case: c.name,
        clade: cm,
        torchvision: tm,
        ratio,
        valid: baseline.valid && ratio !== null && Number.isFinite(ratio),
        pytorchConfig: baseline.config,
        unit: 'images/s',
      };
    });
    console.log('\ncase                  clade img/s  torchvision img/s  ratio');
    for (const row of rows)
      console.log(
        `${row.case.padEnd(22)}${row.clade.toFixed(0).padStart(11)}  ${(row.torchvision?.toFixed(0) ?? '-').padStart(17)}  ${row.ratio ? row.ratio.toFixed(2) + 'x' : '-'}`,
      );
    if (jsonOut)
      writeFileAtomic(
        jsonOut,
        JSON.stringify(
          { date: new Date().toISOString(), baseline: baselineJson(baseline), cases: rows },
          null,
          2,
        ) + '\n',
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

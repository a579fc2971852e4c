/**
 * `npm run bench:infer`: image and text embeddings per second of an open_clip ViT-B/16 (open_clip's ViT-B-16 config,
 * random weights, 224 px, batch 32, 2 threads) on clade — the open_clip folder loaded by src/pretrained and run as
 * ONNX graphs by onnxruntime — against PyTorch running open_clip's architecture on the same weights
 * (bench/infer/torch_infer.py, a long-lived process), interleaved round by round, medians reported. Also checks that
 * both give the same embeddings, and reports peak memory (VmHWM / ru_maxrss) of each process.
 *
 * Then one fine-tune step (bench/infer/finetune.ts: image tower locked but its last `--ft-blocks` blocks, ln_post and
 * proj; InfoNCE against fixed text embeddings; AdamW) on both, images per second.
 *
 *   npm run bench:infer -- [--rounds 3] [--seconds 4] [--batch 32] [--threads 2] [--config ViT-B-16.json] [--json out.json] [--ft-blocks 2]
 *
 * The PyTorch side is checked first (bench/reference.ts): oneDNN's 2048³ sgemm beside ORT's under each thread
 * configuration; the process runs under the fastest, and ratios are marked invalid if it is below 70 % of ORT's.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from '../../src/cli/args.ts';
import { defineGraph } from '../../src/engine/graph.ts';
import { compile } from '../../src/engine/runtime/ort.ts';
import { input } from '../../src/engine/tensor.ts';
import { writeOpenClipFolder } from '../../src/pretrained/open-clip-writer.ts';
import { openModel, type OpenedModel } from '../../src/pretrained/open-model.ts';
import { Rng } from '../../src/util/rng.ts';
import { findTorchPython, median } from '../common.ts';
import { fineTuneStep } from './finetune.ts';
import { baselineJson, tuneBaseline, type RefConfig } from '../reference.ts';
import { writeFileAtomic } from '../../src/util/atomic-write.ts';

/** open_clip's src/open_clip/model_configs/ViT-B-16.json, with OpenAI's preprocessing. */
const VIT_B_16 = {
  model_cfg: {
    embed_dim: 512,
    vision_cfg: { image_size: 224, layers: 12, width: 768, patch_size: 16 },
    text_cfg: { context_length: 77, vocab_size: 49408, width: 512, heads: 8, layers: 12 },
  },
  preprocess_cfg: {},
};

const a = parseArgs(process.argv.slice(2), {
  rounds: 'number',
  seconds: 'number',
  batch: 'number',
  threads: 'number',
  config: 'string',
  'ft-blocks': 'number',
  json: 'string',
});
const rounds = (a.rounds as number | undefined) ?? 3;
const seconds = (a.seconds as number | undefined) ?? 4;
const batch = (a.batch as number | undefined) ?? 32;
const threads = (a.threads as number | undefined) ?? 2;
const config = a.config ? JSON.parse(readFileSync(a.config as string, 'utf8')) : VIT_B_16;
/** The fine-tune step case: the image tower's last N blocks (+ ln_post, proj) unlocked; -1 skips it. */
const ftBlocks = (a['ft-blocks'] as number | undefined) ?? 2;
const name = a.config ? 'custom' : 'ViT-B-16';
const folder = resolve('.bench-out/infer', name);

// Same weights and inputs for both engines.
if (!existsSync(join(folder, 'open_clip_model.safetensors'))) {
  mkdirSync(folder, { recursive: true });
  writeOpenClipFolder(folder, config, undefined, 0);
}
const size = config.model_cfg.vision_cfg.image_size as number;
const images = new Rng(1).normalArray(batch * 3 * size * size);
writeFileSync(join(folder, 'bench_images.f32'), images);
const texts = Array.from({ length: batch }, (_, i) =>
  i % 2
    ? `a photo of a ${['raven', 'magpie', 'crow', 'jay'][i % 4]} number ${i}.`
    : `Animalia Chordata Aves Passeriformes Corvidae Corvus corax ${i}`,
);

const model = await openModel(folder, { batch, threads });
const tok = model.tokenizer.encode(texts);
writeFileSync(
  join(folder, 'bench_inputs.json'),
  JSON.stringify({ ids: chunks(Array.from(tok.ids), tok.contextLength) }),
);

function chunks<T>(xs: T[], n: number): T[][] {
  return Array.from({ length: xs.length / n }, (_, i) => xs.slice(i * n, (i + 1) * n));
}

async function measure(m: OpenedModel, kind: 'image' | 'text'): Promise<number> {
  const run = () => (kind === 'image' ? m.embedPixels(images, batch) : m.embedTexts(texts));
  await run();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await run();
    n++;
  }
  return (n * batch) / ((performance.now() - t0) / 1000);
}

/** The PyTorch process: one JSON line per command. */
function torchProcess(python: string, cfg: RefConfig) {
  const child = spawn(python, [join(import.meta.dirname, 'torch_infer.py'), folder, String(batch)], {
    env: { ...process.env, ...cfg.env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => JSON.parse((await lines.next()).value as string);
  return {
    ready: next(),
    async ask(cmd: string) {
      child.stdin.write(cmd + '\n');
      return next();
    },
    close: () => child.stdin.end(),
  };
}

const peakRssMb = () =>
  Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
const python = findTorchPython();
console.log(
  `bench:infer — open_clip ${name}, batch ${batch}, ${threads} threads, ${rounds} interleaved rounds of ~${seconds}s`,
);
console.log(`PyTorch: ${python ?? 'not found'}`);
// The reference's Linears run through oneDNN (torch_infer.py), so its tuning check is oneDNN's sgemm; the thread
// configuration with the fastest oneDNN sgemm is the one the PyTorch process runs under.
const baseline = await tuneBaseline(python, { threads, path: 'onednn' });
const torch = python ? torchProcess(python, baseline.config) : null;
if (torch) await torch.ready;

if (torch) {
  // Same weights, same inputs: the embeddings must agree (open_clip's architecture vs clade's graphs).
  const ref = (await torch.ask('outputs')) as { image: number[][]; text: number[][] };
  const img = await model.embedPixels(images, batch);
  const txt = await model.embedTexts(texts);
  const diff = (e: { data: Float32Array }, r: number[][]) =>
    Math.max(...r.flat().map((v, i) => Math.abs(v - e.data[i])));
  const scale = (r: number[][]) => Math.max(...r.flat().map(Math.abs));
  console.log(
    `parity vs PyTorch: image max |d| ${diff(img, ref.image).toExponential(2)} (max |x| ${scale(ref.image).toFixed(2)}), ` +
      `text max |d| ${diff(txt, ref.text).toExponential(2)} (max |x| ${scale(ref.text).toFixed(2)})`,
  );
}

/** GFLOP/s of the towers' dominant GEMM shape (the ViT MLP: [B·197, 768] · [768, 3072]) on ORT, as a tuning check. */
async function ortGemm(m: number, k: number, n: number): Promise<number> {
  const a = input('a', [m, k]);
  const b = input('b', [k, n]);
  const run = await compile(defineGraph([a, b], { c: a.matmul(b) }));
  const r = new Rng(2);
  const feeds = { a: r.normalArray(m * k), b: r.normalArray(k * n) };
  await run.run(feeds);
  const ts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await run.run(feeds);
    ts.push(performance.now() - t0);
  }
  return (2 * m * k * n) / (median(ts) / 1000) / 1e9;
}
const gemm = [batch * 197, 768, 3072] as const;
const ortG = await ortGemm(...gemm);
const torchG = torch
  ? ((await torch.ask(`gemm ${gemm.join(' ')}`)) as { blas: number; onednn: number })
  : null;
console.log(
  `GEMM [${gemm[0]}, ${gemm[1]}]·[${gemm[1]}, ${gemm[2]}]: ORT ${ortG.toFixed(1)} GFLOP/s` +
    (torchG
      ? `, PyTorch BLAS ${torchG.blas.toFixed(1)}, PyTorch oneDNN ${torchG.onednn.toFixed(1)} (the reference model uses oneDNN)`
      : ''),
);

const res: Record<string, { clade: number[]; torch: number[] }> = {
  image: { clade: [], torch: [] },
  text: { clade: [], torch: [] },
};
let torchPeak = 0;
for (let r = 0; r < rounds; r++)
  for (const kind of ['image', 'text'] as const) {
    res[kind].clade.push(await measure(model, kind));
    if (torch) {
      const t = (await torch.ask(`${kind} ${seconds}`)) as { per_s: number; peak_rss_mb: number };
      res[kind].torch.push(t.per_s);
      torchPeak = Math.max(torchPeak, t.peak_rss_mb);
    }
    const c = res[kind].clade.at(-1)!;
    const t = res[kind].torch.at(-1);
    console.log(`  round ${r + 1} ${kind}: clade ${c.toFixed(1)}/s${t ? `, PyTorch ${t.toFixed(1)}/s` : ''}`);
  }
await model.release();

// The fine-tune step case: clade's TrainStep (one ONNX graph) vs the same step in PyTorch, interleaved.
const ft: { clade: number[]; torch: number[] } = { clade: [], torch: [] };
if (ftBlocks >= 0) {
  const E = config.model_cfg.embed_dim as number;
  const textEmb = new Rng(3).normalArray(batch * E);
  writeFileSync(join(folder, 'bench_text_emb.f32'), textEmb);
  const { step, trained } = await fineTuneStep(folder, batch, ftBlocks);
  const feeds = { image: images, text: textEmb };
  const first = (await step.run(feeds, 1e-5)).loss; // from the checkpoint's weights, as PyTorch's first step
  const tFirst = torch ? ((await torch.ask(`ft_setup ${ftBlocks}`)) as { loss: number }).loss : NaN;
  console.log(
    `\nfine-tune step (last ${ftBlocks} blocks + ln_post + proj: ${trained} tensors trained): first loss clade ${first.toFixed(5)}` +
      (torch ? `, PyTorch ${tFirst.toFixed(5)}` : ''),
  );
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const t0 = performance.now();
    while (n === 0 || performance.now() - t0 < seconds * 1000) {
      await step.run(feeds, 1e-5);
      n++;
    }
    ft.clade.push((n * batch) / ((performance.now() - t0) / 1000));
    if (torch) {
      const t = (await torch.ask(`ft ${seconds}`)) as { per_s: number; peak_rss_mb: number };
      ft.torch.push(t.per_s);
      torchPeak = Math.max(torchPeak, t.peak_rss_mb);
    }
    const t = ft.torch.at(-1);
    console.log(
      `  round ${r + 1} fine-tune: clade ${ft.clade.at(-1)!.toFixed(2)} img/s${t ? `, PyTorch ${t.toFixed(2)} img/s` : ''}`,
    );
  }
}
torch?.close();

console.log('\n| tower | clade /s | PyTorch /s | clade / PyTorch |');
console.log('|---|---|---|---|');
for (const kind of ['image', 'text'] as const) {
  const c = median(res[kind].clade);
  const t = res[kind].torch.length ? median(res[kind].torch) : NaN;
  console.log(
    `| ${kind} | ${c.toFixed(1)} | ${t.toFixed(1)} | ${(c / t).toFixed(2)}x${baseline.valid ? '' : ' (INVALID baseline)'} |`,
  );
}
if (ft.clade.length) {
  const c = median(ft.clade);
  const t = ft.torch.length ? median(ft.torch) : NaN;
  console.log(`| fine-tune step (images) | ${c.toFixed(2)} | ${t.toFixed(2)} | ${(c / t).toFixed(2)}x |`);
}
if (a.json) {
  const ftCase = ft.clade.length
    ? [
        {
          case: `fine-tune step (last ${ftBlocks} blocks)`,
          clade: median(ft.clade),
          pytorch: ft.torch.length ? median(ft.torch) : null,
          ratio: ft.torch.length ? median(ft.clade) / median(ft.torch) : null,
          valid: baseline.valid && ft.torch.length > 0,
          pytorchConfig: baseline.config,
          unit: 'images/s',
        },
      ]
    : [];
  const cases = (['image', 'text'] as const).map((kind) => {
    const c = median(res[kind].clade);
    const t = res[kind].torch.length ? median(res[kind].torch) : null;
    return {
      case: kind,
      clade: c,
      pytorch: t,
      ratio: t ? c / t : null,
      valid: baseline.valid && t !== null,
      pytorchConfig: baseline.config,
      unit: kind === 'image' ? 'images/s' : 'texts/s',
    };
  });
  writeFileAtomic(
    a.json as string,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        model: name,
        batch,
        baseline: baselineJson(baseline),
        cases: [...cases, ...ftCase],
      },
      null,
      2,
    ) + '\n',
  );
}
console.log(
  `\npeak RSS: clade ${peakRssMb().toFixed(0)} MB (node + onnxruntime, incl. loading and graph building), PyTorch ${torchPeak.toFixed(0)} MB`,
);

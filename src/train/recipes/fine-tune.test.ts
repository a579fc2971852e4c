/**
 * Fine-tuning from an open_clip checkpoint folder (issue 10 item 5) on the tiny open_clip fixture (ViT 2 blocks,
 * 32 px; text transformer 2 blocks, context 77, CLIP BPE): training, tower locks, resume, export, layer decay.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import { evaluateGraph, firstBatch, metricsLosses } from '../../../test/support/recipes.ts';
import { run as embedCli } from '../../cli/commands/embed.ts';
import { syntheticImageText } from '../../data/pipelines/synthetic.ts';
import { stackImages } from '../../embed/embed.ts';
import { readEmbeddingTable } from '../../io/embedding-table.ts';
import { readNpy } from '../../io/npy.ts';
import type { HostTensor, Params } from '../../nn/context.ts';
import type { VitParams } from '../../nn/models/vit.ts';
import { hostLeaves } from '../../nn/param-tree.ts';
import { sgd } from '../../optim/sgd.ts';
import { openModel } from '../../pretrained/open-model.ts';
import { loadOpenClipFolder } from '../../checkpoints/open-clip-folder.ts';
import { Rng } from '../../util/rng.ts';
import { readModelJson, writeModelDir } from '../model-dir.ts';
import { stepSpec } from '../recipe.ts';
import { TrainStep } from '../step.ts';
import { train } from '../trainer.ts';
import { resolveConfig } from '../resolve-config.ts';
import { runTraining } from '../run.ts';
import { clipReplay } from './clip-replay.ts';
import { clipTaxonomy } from './clip-taxonomy.ts';
import { clipin } from './clipin.ts';
import { radialFinetune } from './radial-finetune.ts';
import { fineTuneRules, layerId } from './parts/fine-tune.ts';
import { openClipImage } from './parts/open-clip-start.ts';
import { specImageTextData } from './parts/spec-data.ts';
import { writeSpecFixture } from '../../../test/support/spec-fixtures.ts';

const FIXTURE = join(import.meta.dirname, '../../../test/fixtures/open_clip/tiny-vit-gelu');
const tmp = mkdtempSync(join(tmpdir(), 'clade-finetune-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const base = { from: FIXTURE, perSpecies: 2, batchSize: 24 };
const run = { lr: 1e-3, warmup: 1, seed: 3, keepLast: 2, quiet: true };
const leaves = (p: Params) => new Map(hostLeaves(p));
const same = (a: HostTensor, b: HostTensor) => Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer));

describe('clip-taxonomy fine-tuned from the tiny open_clip folder', () => {
  const recipe = clipTaxonomy({ ...base, lockImage: true, unlockImageBlocks: 1 });
  const outDir = join(tmp, 'locked');
  let trained: ReturnType<typeof recipe.init>;

  test('takes the checkpoint: its weights, logit scale, CLIP BPE tokenizer, image size and mean/std', () => {
    expect(recipe.config).toMatchObject({ size: 32, embedDim: 24, contextLength: 77 });
    expect(recipe.tokenizer.kind).toBe('clip-bpe');
    const src = loadOpenClipFolder(FIXTURE);
    const p = recipe.init(new Rng(0));
    const image = p.image as VitParams<HostTensor>;
    expect(same(image.blocks[0].attn.qkv.w, src.params.image.blocks[0].attn.qkv.w)).toBe(true);
    expect(same(p.imageProj.w, src.params.image.head!.w)).toBe(true);
    expect(same(p.text.token.table, src.params.text.token.table)).toBe(true);
    expect(p.logitScale.data[0]).toBeCloseTo(src.params.logitScale, 6);
    expect(recipe.data.preprocessing.mean).toEqual(src.spec.preprocess.mean);
  });

  test('trains (finite, decreasing loss); the locked blocks stay bit-identical, the unlocked last block changes', async () => {
    trained = (await train(recipe, { ...run, steps: 10, outDir, checkpointEvery: 5 })).params;
    const losses = metricsLosses(outDir);
    expect(losses).toHaveLength(10);
    for (const l of losses) expect(Number.isFinite(l)).toBe(true);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-3))).toBeLessThan(mean(losses.slice(0, 3)));
    const before = leaves(recipe.init(new Rng(0)));
    const after = leaves(trained);
    const lockedPaths = [...before.keys()].filter(
      (k) => k.startsWith('image.') && !k.startsWith('image.blocks.1.') && !k.startsWith('image.ln.'),
    );
    expect(lockedPaths).toContain('image.patch.w');
    expect(lockedPaths).toContain('image.blocks.0.fc2.w');
    for (const k of lockedPaths) expect(same(after.get(k)!, before.get(k)!), k).toBe(true);
    for (const k of ['image.blocks.1.attn.qkv.w', 'image.blocks.1.fc1.w', 'image.ln.gamma', 'imageProj.w'])
      expect(same(after.get(k)!, before.get(k)!), k).toBe(false);
    for (const k of ['text.blocks.0.attn.qkv.w', 'text.proj', 'logitScale'])
      expect(same(after.get(k)!, before.get(k)!), k).toBe(false);
    // the periodic evaluation (zero-shot by rank on held-out images) runs on the pretrained towers
    const acc = await recipe.periodicEval(trained);
    expect(Object.keys(acc).sort()).toEqual([
      'zeroshot/genus',
      'zeroshot/kingdom',
      'zeroshot/order',
      'zeroshot/species',
    ]);
  });

  test('resumes exactly: stopped after 7 steps (last checkpoint at 5) and resumed = the uninterrupted run', async () => {
    const b = join(tmp, 'resumed');
    await train(recipe, { ...run, steps: 10, outDir: b, checkpointEvery: 5, stopAfter: 7 });
    const resumed = await train(recipe, { ...run, steps: 10, outDir: b, checkpointEvery: 5, resume: true });
    expect(metricsLosses(b)).toEqual(metricsLosses(outDir));
    const want = leaves(trained);
    for (const [k, v] of leaves(resumed.params)) expect(same(v, want.get(k)!), k).toBe(true);
  });

  test('exports: `clade embed` and `openModel` of the model directory equal the in-memory forward', async () => {
    const model = join(outDir, 'model');
    writeModelDir(model, recipe, trained, 8);
    const desc = readModelJson(model).description as Record<string, any>;
    expect(desc.tokenizer).toEqual({ kind: 'clip-bpe', builtin: 'clip', contextLength: 77 });
    expect(desc.image.preprocessing).toMatchObject({ size: 32, interpolation: 'bicubic' });
    expect(desc.fineTune).toMatchObject({ lockImage: true, unlockImageBlocks: 1 });
    vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.spyOn(console, 'log').mockImplementation(() => {});

    // images: the synthetic test split through the eval view with the checkpoint's mean/std
    const out = join(tmp, 'img.parquet');
    expect(await embedCli([model, 'synthetic-taxonomy:test:1', '--out', out, '--quiet'])).toBe(0);
    const pipe = syntheticImageText({
      ...{ seed: 0, perSpecies: 1, size: 32, split: 'test', mode: 'eval', views: 1 },
      normalize: { mean: recipe.data.preprocessing.mean, std: recipe.data.preprocessing.std },
    });
    const { images } = await stackImages(pipe);
    const n = 60;
    const spec = recipe.towers(n).image;
    const direct = await evaluateGraph(
      trained,
      spec.inputs,
      { image: images },
      (p, b, ctx) => spec.forward(p, b, ctx),
      false,
    );
    const table = await readEmbeddingTable(out);
    expect(table.embeddings.n).toBe(n);
    expect(maxAbs(table.embeddings.data, direct.embedding)).toBeLessThan(1e-5);

    // texts, tokenised with the recorded CLIP BPE
    const texts = ['a photo of Animalia.', '', recipe.data.captions[3][2]];
    writeFileSync(join(tmp, 'texts.txt'), texts.join('\n') + '\n');
    const tout = join(tmp, 'texts.npy');
    expect(await embedCli([model, join(tmp, 'texts.txt'), '--tower', 'text', '--out', tout, '--quiet'])).toBe(
      0,
    );
    const tspec = recipe.towers(texts.length).text;
    const tdirect = await evaluateGraph(
      trained,
      tspec.inputs,
      tok(texts),
      (p, b, ctx) => tspec.forward(p, b, ctx),
      false,
    );
    expect(maxAbs(readNpy(tout).data as Float32Array, tdirect.embedding)).toBeLessThan(1e-5);

    // `clade predict` / `zeroshot` open it the same way: same preprocessing, tokenizer and logit scale
    const opened = await openModel(model);
    expect(opened.preprocess.mean).toEqual(recipe.data.preprocessing.mean);
    expect(Math.log(opened.scale)).toBeCloseTo((trained.logitScale as HostTensor).data[0], 5);
    const viaOpen = await opened.embedTexts(texts);
    expect(maxAbs(viaOpen.data, tdirect.embedding)).toBeLessThan(1e-5);
    await opened.release();
  });

  const tok = (texts: string[]) => {
    const t = recipe.tokenizer.encode(texts);
    return { ids: BigInt64Array.from(t.ids, BigInt), eot: BigInt64Array.from(t.eotIndex, BigInt) };
  };
});

function maxAbs(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('layer-wise LR decay', () => {
  test('one SGD step: each parameter moves by d^(L+1−layer) times its undecayed step (block i: d^(L−i))', async () => {
    const d = 0.5;
    const decayed = clipTaxonomy({ ...base, layerDecay: d });
    const plain = clipTaxonomy({ ...base });
    const feeds = decayed.feeds(await firstBatch(decayed), 0);
    const moved = async (recipe: typeof plain) => {
      const spec = { ...stepSpec(recipe, { seed: 0 }), optimizer: sgd() };
      const step = await TrainStep.create(spec);
      const before = leaves(spec.params);
      await step.run(feeds, 0.5);
      const after = leaves(step.params());
      return new Map([...before].map(([k, v]) => [k, sumAbsDiff(after.get(k)!.data, v.data)]));
    };
    const a = await moved(decayed);
    const b = await moved(plain);
    const L = 2;
    const want: Record<string, number> = {
      'image.patch.w': d ** (L + 1),
      'image.pos': d ** (L + 1),
      'image.lnPre.gamma': d ** (L + 1),
      'image.blocks.0.fc1.w': d ** (L - 0),
      'image.blocks.1.fc1.w': d ** (L - 1),
      'image.ln.gamma': 1,
      'imageProj.w': 1,
      'text.token.table': d ** (L + 1),
      'text.blocks.0.attn.qkv.w': d ** L,
      'text.blocks.1.attn.proj.w': d ** (L - 1),
      'text.ln.beta': 1,
      'text.proj': 1,
      logitScale: 1,
    };
    for (const [k, s] of Object.entries(want)) {
      expect(b.get(k)!, k).toBeGreaterThan(0);
      expect(a.get(k)! / b.get(k)!, k).toBeCloseTo(s, 3);
    }
  });

  test('layers are numbered as timm numbers them; bad options name their key', () => {
    const image = { prefix: 'image', depth: 12, heads: ['imageProj'] };
    expect(layerId('image.cls', image)).toBe(0);
    expect(layerId('image.lnPre.beta', image)).toBe(0);
    expect(layerId('image.blocks.0.ln1.gamma', image)).toBe(1);
    expect(layerId('image.blocks.11.fc2.b', image)).toBe(12);
    expect(layerId('image.ln.gamma', image)).toBe(13);
    expect(layerId('imageProj.w', image)).toBe(13);
    expect(layerId('text.blocks.0.fc1.w', image)).toBeNull();
    const r = fineTuneRules({ from: 'x', lockImage: true, unlockImageBlocks: 2, layerDecay: 0.8 }, { image });
    expect(r.trainable!('image.blocks.9.fc1.w')).toBe(false);
    expect(r.trainable!('image.blocks.10.fc1.w')).toBe(true);
    expect(r.trainable!('imageProj.w')).toBe(true);
    expect(r.trainable!('logitScale')).toBe(true);
    expect(r.lrScale!('image.pos')).toBeCloseTo(0.8 ** 13, 12);
    expect(r.lrScale!('logitScale')).toBe(1);
    const bad = (cfg: object, field: string) =>
      expect(() => fineTuneRules({ from: 'x', ...cfg }, { image })).toThrow(field);
    bad({ lockImage: true, unlockImageBlocks: 13 }, 'unlockImageBlocks');
    bad({ unlockImageBlocks: 1 }, 'lockImage: true');
    bad({ lockText: true }, 'no text tower');
    expect(() => fineTuneRules({ from: '', layerDecay: 0.5 }, {})).toThrow('set from');
    expect(() => clipTaxonomy({ from: tmp })).toThrow(/not one/);
  });
});

function sumAbsDiff(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s;
}

describe('the other recipes take an open_clip folder as `from`', () => {
  const steps = async (recipe: Parameters<typeof stepSpec>[0], n: number, lr: number) => {
    const spec = stepSpec(recipe, { seed: 0 });
    const step = await TrainStep.create(spec);
    const feeds = recipe.feeds(await firstBatch(recipe), 0);
    const losses: number[] = [];
    for (let i = 0; i < n; i++) losses.push((await step.run(feeds, lr)).loss);
    return { before: leaves(spec.params), after: leaves(step.params()), losses };
  };
  const src = loadOpenClipFolder(FIXTURE);

  test('clipin: locked ViT trunk and text transformer (no projections) from the checkpoint; the heads train', async () => {
    const recipe = clipin({ ...base, batchSize: 12, lockImage: true, lockText: true, unlockTextBlocks: 1 });
    expect(recipe.tokenizer.kind).toBe('clip-bpe');
    const { before, after, losses } = await steps(recipe, 4, 1e-3);
    expect(same(before.get('image.blocks.1.fc1.w')!, src.params.image.blocks[1].fc1.w)).toBe(true);
    expect(before.has('text.proj')).toBe(false);
    expect(same(before.get('target.image.pos')!, before.get('image.pos')!)).toBe(true);
    for (const l of losses) expect(Number.isFinite(l)).toBe(true);
    expect(losses[3]).toBeLessThan(losses[0]);
    for (const k of ['image.blocks.1.fc1.w', 'image.ln.gamma', 'text.blocks.0.fc1.w', 'text.token.table'])
      expect(same(after.get(k)!, before.get(k)!), k).toBe(true);
    for (const k of ['text.blocks.1.fc1.w', 'text.ln.gamma', 'gI.w', 'cT.w'])
      expect(same(after.get(k)!, before.get(k)!), k).toBe(false);
  });

  test('radial-finetune: the checkpoint text tower with CLIP BPE; lockText keeps all but the last block', async () => {
    const recipe = radialFinetune({ from: FIXTURE, batchSize: 2, lockText: true, unlockTextBlocks: 1 });
    expect(recipe.config).toMatchObject({ embedDim: 24, contextLength: 77 });
    const { before, after, losses } = await steps(recipe, 3, 1e-3);
    expect(same(before.get('text.proj')!, src.params.text.proj as HostTensor)).toBe(true);
    for (const l of losses) expect(Number.isFinite(l)).toBe(true);
    expect(same(after.get('text.blocks.0.attn.qkv.w')!, before.get('text.blocks.0.attn.qkv.w')!)).toBe(true);
    expect(same(after.get('text.blocks.1.attn.qkv.w')!, before.get('text.blocks.1.attn.qkv.w')!)).toBe(false);
    expect(same(after.get('text.proj')!, before.get('text.proj')!)).toBe(false);
  });

  test('clip-replay: both visual heads start from visual.proj and follow the last layer (scale 1)', async () => {
    const recipe = clipReplay({ from: FIXTURE, perSpecies: 1, replayPerSpecies: 1, batchSize: 12 });
    const { before, after, losses } = await steps(recipe, 4, 1e-3);
    expect(same(before.get('continualProj.w')!, src.params.image.head!.w)).toBe(true);
    for (const l of losses) expect(Number.isFinite(l)).toBe(true);
    expect(losses[3]).toBeLessThan(losses[0]);
    expect(same(after.get('continualProj.w')!, before.get('continualProj.w')!)).toBe(false);
    const d = clipReplay({ from: FIXTURE, perSpecies: 1, layerDecay: 0.5 });
    expect([d.lrScale!('continualProj.w'), d.lrScale!('image.blocks.0.fc1.w')]).toEqual([1, 0.25]);
  });
});

describe('an open_clip folder fine-tuned on the user’s own data (a data SPEC)', () => {
  test('the SPEC is read at the checkpoint’s size and mean/std; it trains and evaluates by rank', async () => {
    const f = await writeSpecFixture(join(tmp, 'spec'), 6);
    const data = `${f.parquet}?image=path&ranks=genus,species&common=common&split=split`;
    const spec = await specImageTextData({ data, size: 0, cropScale: [0.5, 1], ...openClipImage(FIXTURE) });
    const src = loadOpenClipFolder(FIXTURE);
    expect(spec.preprocessing).toMatchObject({ size: 32, mean: src.spec.preprocess.mean });
    const recipe = clipTaxonomy(
      { ...base, data, batchSize: 12, lockImage: true, unlockImageBlocks: 1 },
      spec,
    );
    const out = join(tmp, 'spec-run');
    const r = await train(recipe, { ...run, steps: 4, outDir: out, checkpointEvery: 4 });
    for (const l of metricsLosses(out)) expect(Number.isFinite(l)).toBe(true);
    const acc = await recipe.periodicEval!(r.params);
    expect(Object.keys(acc).some((k) => k.startsWith('knn/'))).toBe(true);
  });
});

describe('radial-finetune from an open_clip folder on HierarCaps-format chains (recipeConfig.data)', () => {
  test('the checkpoint text tower trains on BPE-tokenised chains, evaluates d_corr, and exports as it ran', async () => {
    const csv = join(tmp, 'chains.csv');
    const chain = (a: string, b: string) =>
      `${a} => ${b} ${a} => ${b} ${a} on the grass => a ${b} ${a} lying on the grass at noon`;
    const animals = ['zebra', 'giraffe', 'pelican', 'armadillo'];
    const rows = animals.flatMap((a, i) =>
      ['small', 'brown'].map(
        (b) => `"${chain(a, b)}","${chain(animals[(i + 1) % animals.length], 'striped')}"`,
      ),
    );
    writeFileSync(csv, ['positive,negative', ...rows].join('\n') + '\n');
    const out = join(tmp, 'radial-chains');
    const cfg = resolveConfig({
      recipe: 'radial-finetune',
      recipeConfig: { from: FIXTURE, batchSize: 2, data: `chains:${csv}` },
      train: { steps: 4, warmup: 0, lr: 1e-3, minLr: 1e-3, evalEvery: 4, checkpointEvery: 4 },
    });
    const r = await runTraining(cfg, { outDir: out, quiet: true });
    expect(r.finished).toBe(true);
    const recipe = r.recipe as ReturnType<typeof radialFinetune>;
    expect(recipe.tokenizer.kind).toBe('clip-bpe');
    expect(recipe.config).toMatchObject({ embedDim: 24, contextLength: 77 });
    const losses = metricsLosses(out);
    expect(losses).toHaveLength(4);
    for (const l of losses) expect(Number.isFinite(l)).toBe(true);
    const last = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))[3];
    expect(last.dCorr).toBeGreaterThanOrEqual(-1);
    expect(last.dCorr).toBeLessThanOrEqual(1);
    // started from the checkpoint's text tower, and trained it
    const src = loadOpenClipFolder(FIXTURE);
    const before = leaves(recipe.init(new Rng(0)));
    expect(same(before.get('text.proj')!, src.params.text.proj as HostTensor)).toBe(true);
    const trained = r.train.params as Params;
    expect(same(leaves(trained).get('text.proj')!, before.get('text.proj')!)).toBe(false);
    const desc = readModelJson(r.modelDir).description as Record<string, any>;
    expect(desc.tokenizer).toEqual({ kind: 'clip-bpe', builtin: 'clip', contextLength: 77 });
    expect(desc.pretrained).toBeDefined();

    // `clade embed --tower text` of the exported model = the trained tower in memory (CLIP BPE ids)
    vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const texts = ['zebra', 'a small brown armadillo lying on the grass at noon', ''];
    writeFileSync(join(tmp, 'chain-texts.txt'), texts.join('\n') + '\n');
    const tout = join(tmp, 'chain-texts.npy');
    expect(
      await embedCli([r.modelDir, join(tmp, 'chain-texts.txt'), '--tower', 'text', '--out', tout, '--quiet']),
    ).toBe(0);
    const t = recipe.tokenizer.encode(texts);
    const spec = recipe.towers(texts.length).text;
    const direct = await evaluateGraph(
      trained,
      spec.inputs,
      { ids: BigInt64Array.from(t.ids, BigInt), eot: BigInt64Array.from(t.eotIndex, BigInt) },
      (p, b, ctx) => spec.forward(p as never, b, ctx),
      false,
    );
    expect(maxAbs(readNpy(tout).data as Float32Array, direct.embedding)).toBeLessThan(1e-5);
  }, 60_000);
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, test } from 'vitest';
import { writeModelDir } from '../model-dir.ts';
import { train } from '../trainer.ts';
import { flatten } from '../../engine/tree.ts';
import type { HostTensor, Params } from '../../nn/context.ts';
import { Rng } from '../../util/rng.ts';
import { clipTaxonomy } from './clip-taxonomy.ts';
import { clipin, clipinScores, syncTarget } from './clipin.ts';
import { firstBatch, lossCurve, recipeStep, slot } from '../../../test/support/recipes.ts';

const tiny = {
  perSpecies: 1,
  batchSize: 12,
  size: 16,
  imageChannels: [4, 8, 8] as [number, number, number],
  textWidth: 8,
  textDepth: 1,
  textHeads: 2,
  contextLength: 12,
  preDim: 16,
  clipDim: 8,
  ncDim: 16,
  predHidden: 16,
};
const isHost = (x: unknown) => !!x && typeof x === 'object' && 'data' in (x as object);
const leaves = (p: Params) => new Map(flatten<HostTensor>(p as never, '', isHost));

describe('clipin recipe', () => {
  test('one step: EMA target moves by exactly m·θ′ + (1 − m)·θ; λ clamped', async () => {
    const recipe = clipin({ ...tiny, lambdaInit: 25 });
    const params = recipe.init(new Rng(0).fork('init'));
    const step = await recipeStep(recipe, params);
    const feeds = recipe.feeds(await firstBatch(recipe), 0);
    // Perturb the target so online ≠ target and the EMA is visible.
    const before = leaves(params);
    const paths = ['image.convs.0.w', 'text.blocks.0.attn.qkv.w', 'gI.w', 'pT.lin.b'];
    const tgt0 = new Map(paths.map((k) => [k, slot(step, `target.${k}`)]));
    for (const k of paths) expect([...tgt0.get(k)!]).toEqual([...before.get(k)!.data]); // starts as a copy
    step.load(
      new Map(paths.map((k) => [`target.${k}`, { shape: [], data: tgt0.get(k)!.map((v) => v + 0.5) }])),
    );
    const onl0 = new Map(paths.map((k) => [k, slot(step, k)]));
    const curve = await lossCurve(step, feeds, 1, 1e-3);
    expect(Number.isFinite(curve[0])).toBe(true);
    for (const k of paths) {
      const after = slot(step, `target.${k}`);
      const o = onl0.get(k)!;
      const t = tgt0.get(k)!;
      let worst = 0;
      for (let i = 0; i < after.length; i++)
        worst = Math.max(worst, Math.abs(after[i] - (0.95 * (t[i] + 0.5) + 0.05 * o[i])));
      expect(worst).toBeLessThan(1e-6);
      expect(slot(step, k)).not.toEqual(o); // the online weights were optimised
    }
    // λ initialised at 25 is clamped to the top of [0, 20] after the step; the logit scale stays in [0, ln 100].
    expect(slot(step, 'lambdaSelf')[0]).toBe(20);
    expect(slot(step, 'lambdaComb')[0]).toBe(20);
    const s = slot(step, 'logitScale')[0];
    expect(s).toBeGreaterThanOrEqual(0);
    expect(s).toBeLessThanOrEqual(Math.log(100) + 1e-6);
    // Target BatchNorm buffers follow their own batch statistics (not averaged towards the online ones).
    expect(slot(step, 'target.pI.bn.running_mean')).not.toEqual(
      before.get('target.pI.bn.running_mean')!.data,
    );
  });

  test('loss decreases over a few steps on a fixed batch', async () => {
    const recipe = clipin(tiny);
    const step = await recipeStep(recipe);
    const feeds = recipe.feeds(await firstBatch(recipe), 0);
    const curve = await lossCurve(step, feeds, 8, 3e-3);
    expect(curve[curve.length - 1]).toBeLessThan(curve[0]);
  });

  test('syncTarget copies the online modules into the target (after loading weights)', () => {
    const recipe = clipin(tiny);
    const loaded = recipe.init(new Rng(5).fork('init'));
    const stale = { ...loaded, target: recipe.init(new Rng(6).fork('init')).target };
    const synced = syncTarget(stale);
    const on = leaves(synced);
    for (const [k, v] of leaves(synced.target)) {
      expect([...v.data]).toEqual([...on.get(k)!.data]);
      expect(v.data).not.toBe(on.get(k)!.data); // a copy, not shared storage
    }
    expect(leaves(synced.target).size).toBe(
      leaves({
        image: synced.image,
        text: synced.text,
        gI: synced.gI,
        gT: synced.gT,
        pI: synced.pI,
        pT: synced.pT,
      }).size,
    );
  });

  test('zero-shot scoring modes', () => {
    const img = Float32Array.of(3, 4, 0, 1);
    const txt = Float32Array.of(1, 0, 0, 2);
    const c = clipinScores('contrastive', img, txt, 2, Math.log(10));
    expect(c[0]).toBeCloseTo(10 * 0.6, 5);
    expect(c[1]).toBeCloseTo(10 * 0.8, 5);
    expect(c[3]).toBeCloseTo(10, 5);
    expect([...clipinScores('nonContrastive', img, txt, 2)]).toEqual([3, 8, 0, 2]);
  });

  test('model directory: image.onnx gives e_I and the target y_I, text.onnx e_T and P_T^x; both zero-shot modes', async () => {
    const recipe = clipin(tiny);
    const params = recipe.init(new Rng(0).fork('init'));
    const dir = join(mkdtempSync(join(tmpdir(), 'clade-clipin-')), 'model');
    const n = 4;
    writeModelDir(dir, recipe, params, n);
    const batch = await firstBatch(recipe);
    const feeds = recipe.feeds(batch, 0);
    const img = await ort.InferenceSession.create(join(dir, 'image.onnx'));
    const txt = await ort.InferenceSession.create(join(dir, 'text.onnx'));
    const S = tiny.size;
    const io = await img.run({
      image: new ort.Tensor('float32', (feeds.view1 as Float32Array).slice(0, n * 3 * S * S), [n, 3, S, S]),
    });
    const T = tiny.contextLength;
    const to = await txt.run({
      ids: new ort.Tensor('int64', (feeds.ids as BigInt64Array).slice(0, n * T), [n, T]),
      eot: new ort.Tensor('int64', (feeds.eot as BigInt64Array).slice(0, n), [n]),
    });
    expect(io.embedding.dims).toEqual([n, tiny.clipDim]);
    expect(io.target.dims).toEqual([n, tiny.ncDim]);
    expect(to.interPred.dims).toEqual([n, tiny.ncDim]);
    const y = io.target.data as Float32Array;
    for (let i = 0; i < n; i++)
      expect(Math.hypot(...y.subarray(i * tiny.ncDim, (i + 1) * tiny.ncDim))).toBeCloseTo(1, 4);
    const nc = clipinScores('nonContrastive', y, to.interPred.data as Float32Array, tiny.ncDim);
    const c = clipinScores(
      'contrastive',
      io.embedding.data as Float32Array,
      to.embedding.data as Float32Array,
      tiny.clipDim,
    );
    expect(nc.length).toBe(n * n);
    for (const v of nc) expect(Math.abs(v)).toBeLessThanOrEqual(1 + 1e-5); // cosine of unit vectors
    for (const v of c) expect(Math.abs(v)).toBeLessThanOrEqual(1 / 0.07 + 1e-3);
  });

  test('zero-shot accuracy by rank in both modes (the periodicEval hook)', async () => {
    const recipe = clipin(tiny);
    const acc = await recipe.periodicEval(recipe.init(new Rng(0).fork('init')));
    expect(Object.keys(acc).sort()).toEqual(
      ['contrastive', 'nonContrastive'].flatMap((m) =>
        ['genus', 'kingdom', 'order', 'species'].map((r) => `${m}/${r}`),
      ),
    );
    for (const m of ['contrastive', 'nonContrastive']) {
      expect(acc[`${m}/kingdom`]).toBeGreaterThanOrEqual(acc[`${m}/order`]);
      expect(acc[`${m}/genus`]).toBeGreaterThanOrEqual(acc[`${m}/species`]);
      expect(acc[`${m}/species`]).toBeGreaterThanOrEqual(0);
    }
  });

  test('starts from a clip-taxonomy model directory: its towers and tokenizer, the target re-synced', async () => {
    const ct = {
      perSpecies: 1,
      batchSize: 4,
      imageChannels: [4, 8, 8] as [number, number, number],
      textWidth: 8,
    };
    const srcRecipe = clipTaxonomy({ ...ct, textDepth: 1, textHeads: 2, embedDim: 8, contextLength: 12 });
    const srcParams = srcRecipe.init(new Rng(4).fork('init'));
    const dir = join(mkdtempSync(join(tmpdir(), 'clade-clipin-')), 'model');
    writeModelDir(dir, srcRecipe, srcParams, 2);
    const recipe = clipin({ ...tiny, textWidth: 32, from: dir }); // dims come from the model directory
    expect(recipe.config.textWidth).toBe(8);
    expect(recipe.tokenizer.vocabSize).toBe(srcRecipe.tokenizer.vocabSize);
    const p = recipe.init(new Rng(0).fork('init')) as Record<string, Params>;
    const want = leaves(srcParams);
    for (const tower of ['image', 'text'])
      for (const [k, v] of leaves({ [tower]: p[tower] } as Params)) {
        expect([...v.data]).toEqual([...want.get(k)!.data]);
        expect([...leaves(p.target).get(k)!.data]).toEqual([...v.data]);
      }
    expect(() => clipin({ ...tiny, from: join(dir, 'absent') })).toThrow(/cannot read model\.json/);
  });

  test('resume reproduces the uninterrupted loss curve (EMA target and BatchNorm buffers are checkpointed)', async () => {
    const opts = {
      steps: 6,
      lr: 2e-3,
      warmup: 2,
      seed: 3,
      checkpointEvery: 2,
      keepLast: 1,
      quiet: true,
      workers: 0,
    };
    const root = mkdtempSync(join(tmpdir(), 'clade-clipin-run-'));
    const recipe = clipin({ ...tiny, perSpecies: 2 });
    await train(recipe, { ...opts, outDir: join(root, 'a') });
    await train(recipe, { ...opts, outDir: join(root, 'b'), stopAfter: 3 }); // last checkpoint at step 2
    await train(recipe, { ...opts, outDir: join(root, 'b'), resume: true });
    const curve = (d: string) =>
      readFileSync(join(root, d, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).loss as number);
    expect(curve('b')).toEqual(curve('a'));
    expect(curve('a')).toHaveLength(6);
  });
});

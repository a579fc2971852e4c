import { dCorr } from '../../analysis/hierarcaps.ts';
import { radius } from '../../analysis/radial.ts';
import { taxonomyChains, type TextChain } from '../../data/pipelines/chains.ts';
import { pipelineSource } from '../../data/pipelines/index.ts';
import { l2normalize } from '../../engine/functional/index.ts';
import type { Tensor } from '../../engine/tensor.ts';
import type { HostTensor } from '../../nn/context.ts';
import type { TextTransformerParams } from '../../nn/models/text-transformer.ts';
import { cloneParams, type SymbolicParams } from '../../nn/param-tree.ts';
import { radialLoss } from '../../objectives/index.ts';
import { adamw } from '../../optim/adamw.ts';
import type { Dataset } from '../../data/types.ts';
import { CladeError } from '../../util/errors.ts';
import { Rng } from '../../util/rng.ts';
import type { Recipe, TowerSpec } from '../recipe.ts';
import { captionTokenizer } from './parts/image-text-data.ts';
import { andTrainable, cladeTowerLayers, fineTuneRules } from './parts/fine-tune.ts';
import { configFrom, loadSubtree, readModelSource } from './parts/model-source.ts';
import { openClipStart } from './parts/open-clip-start.ts';
import { specSource, type SpecSource } from './parts/spec-data.ts';
import { syntheticData } from './parts/synthetic-data.ts';
import { towerRunner } from './parts/tower-runner.ts';
import { textTower, type TextTower } from './parts/towers.ts';
import { radialFinetuneSchema, type RadialFinetuneOptions } from './schemas.ts';

/**
 * Learning rate of the `radial-finetune` preset (constant, 300 steps at batch 8). The RE code's 1e-7 (§C.3) nudges
 * a large pretrained CLIP-B over ~9k steps; clade's towers are small, and at 1e-7 Adam's ~lr-sized steps barely
 * move them in hundreds of steps. Measured from a 300-step clip-taxonomy model (synthetic-taxonomy, seed 0):
 *
 * | lr × 300 steps | held-out d_corr | zero-shot species (kingdom) acc. |
 * |---|---|---|
 * | before | 0.578 | 0.987 (1.000) |
 * | 1e-5 | 0.822 | 0.960 (1.000) |
 * | 3e-5 | 0.956 | 0.890 (0.997) |
 * | 1e-4 | 1.000 | 0.340 (0.900) |
 *
 * 1e-5 improves the hierarchy while keeping zero-shot accuracy nearly intact — the paper's claim for RE
 * (docs/methods.md §C.7); larger rates trade retrieval for d_corr despite the λ_p = 10 pull-back.
 */
export const RADIAL_FINETUNE_LR = 1e-5;

export type RadialFinetuneParams = {
  readonly text: TextTransformerParams<HostTensor>;
  /** The original tower, frozen (not trainable): the pull-back term's reference. */
  readonly frozen: TextTransformerParams<HostTensor>;
};

/** Recipes whose model directories hold a `textTransformer` with a projection under `text.*`. */
const TEXT_TOWER_RECIPES = ['clip-taxonomy', 'clip-replay', 'radial-finetune'];

/**
 * Radii ‖n(e) − n(e(""))‖ of each chain's positive levels through the tower, and d_corr over the chains
 * (docs/methods.md §C.6 step 7).
 */
async function radialEvaluate(text: TextTower, params: RadialFinetuneParams, chains: readonly TextChain[]) {
  const texts = [...chains.flatMap((c) => c.positive), ''];
  const normalised: TowerSpec<SymbolicParams<Pick<RadialFinetuneParams, 'text'>>> = {
    inputs: text.inputs(texts.length),
    forward: (p, i, ctx) => ({ e: l2normalize(text.apply(p.text, i.ids, i.eot, ctx)) }),
  };
  const run = await towerRunner({ text: params.text }, normalised);
  const e = (await run({ ...text.tokenize(texts) })).e;
  const D = text.dim;
  const row = (i: number) => e.subarray(i * D, (i + 1) * D);
  const root = row(texts.length - 1);
  const radii = chains.map((_, c) => [0, 1, 2, 3].map((k) => radius(row(4 * c + k), root)));
  const meanRadius = [0, 1, 2, 3].map((k) => radii.reduce((s, r) => s + r[k], 0) / radii.length);
  return { dCorr: dCorr(radii), radii, meanRadius };
}

/**
 * Radial Embedding fine-tuning of a text tower (Alper & Averbuch-Elor, ECCV 2024, https://arxiv.org/abs/2407.08521;
 * docs/methods.md §C.3): per batch of B chain pairs all 8B texts plus the empty text are embedded by the trained tower
 * (the root r = e("") is recomputed in-graph every step) and the 8B texts by a frozen, non-trainable copy of the
 * original tower (pull-back term); L = 10·L_p + L_e + L_m. AdamW β (0.9, 0.999), weight decay 0.01, no clipping.
 * Training chains come from the synthetic taxonomy (`taxonomyChains`), held-out species excluded; `periodicEval`:
 * d_corr and mean radius per level on held-out chains (every species when none is held out). With `data`
 * (`chains:FILE.csv` / `hierarcaps:FILE.csv`, 4 levels) the chains are that file's rows, the tokenizer's vocabulary
 * is theirs (unless `from` brings one) and `periodicEval` is d_corr on the first 200 of them (or of the validation split).
 */
export function radialFinetune(options: RadialFinetuneOptions = {}, spec?: SpecSource) {
  let cfg = radialFinetuneSchema.parse(options);
  const start = openClipStart(cfg.from);
  const src = cfg.from && !start ? readModelSource(cfg.from, TEXT_TOWER_RECIPES, 'radial-finetune') : null;
  const dims = ['embedDim', 'textWidth', 'textDepth', 'textHeads', 'contextLength'] as const;
  if (src) cfg = radialFinetuneSchema.parse({ ...cfg, ...configFrom(src, dims) });
  if (start) cfg = { ...cfg, embedDim: start.spec.embedDim, contextLength: start.spec.text.context };
  const data = syntheticData({ seed: cfg.seed, perSpecies: 1, size: 32 });
  const specChains = spec ? chainsOf(spec) : null;
  const tokenizer =
    start?.tokenizer ??
    src?.tokenizer ??
    (spec
      ? captionTokenizer(cfg.contextLength, { captions: [], corpus: spec.corpus })
      : captionTokenizer(cfg.contextLength, data)); // as clip-taxonomy's
  const text = start?.textTower(true) ?? textTower(cfg, tokenizer, cfg.embedDim);
  const ft = fineTuneRules(cfg, { text: start?.layers().text ?? cladeTowerLayers(cfg).text });
  const held = (k: number) => cfg.heldOutEvery > 0 && k % cfg.heldOutEvery === cfg.heldOutEvery - 1;
  const all = data.synthetic!.species.map((s) => s.label);
  const [trainSpecies, heldOutSpecies] = [all.filter((k) => !held(k)), all.filter(held)];
  const B = cfg.batchSize;
  const N = 8 * B + 1; // 4 positive + 4 negative levels per chain, then the empty text
  /** Chains of the given species (deterministic in `seed`). */
  const chains = (species: readonly number[], count: number, seed = cfg.seed) =>
    taxonomyChains(data.synthetic!, species, count, new Rng(seed).fork('chains'));
  const evaluate = (params: RadialFinetuneParams, cs: readonly TextChain[]) =>
    radialEvaluate(text, params, cs);

  const recipe = {
    name: 'radial-finetune',
    config: cfg,
    tokenizer,
    trainSpecies,
    heldOutSpecies,
    chains,
    evaluate,
    batchSize: B,
    init: (rng) => {
      const fresh = text.init(rng.fork('text'));
      const t = src ? loadSubtree(fresh, src, 'text') : fresh;
      return { text: t, frozen: cloneParams(t) };
    },
    batchSpec: text.inputs(N),
    loss: (p, b, ctx) => {
      const e = text.apply(p.text, b.ids, b.eot, ctx); // [8B+1, D]
      const rows = (x: Tensor, i: number, n = B) => x.slice([0], [i * B], [i * B + n]);
      const root = rows(e, 8, 1).reshape([cfg.embedDim]); // e("") from the current weights
      const frozen = text.apply(p.frozen, b.ids, b.eot, ctx).stopGradient();
      const pos = [0, 1, 2, 3].map((k) => rows(e, k));
      const neg = [4, 5, 6, 7].map((k) => rows(e, k));
      const r = radialLoss(pos, neg, root, rows(e, 0, 8 * B), rows(frozen, 0, 8 * B), cfg.weights);
      return { loss: r.loss, metrics: { angle: r.angleTerm, hard: r.hardTerm, pull: r.pullTerm } };
    },
    optimizer: adamw({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: cfg.weightDecay }),
    trainable: andTrainable((path) => path.startsWith('text.'), ft)!,
    lrScale: ft.lrScale,
    pipeline: spec
      ? specSource(spec, { part: 'train' })
      : pipelineSource('synthetic-chains', {
          seed: cfg.seed,
          species: trainSpecies,
          count: trainSpecies.length * cfg.chainsPerSpecies,
        }),
    ...(spec ? { skipped: () => spec.skipped() } : {}),
    // Level-major: the 8 levels of every chain (B each), then the empty text.
    feeds: (batch) =>
      text.tokenize([...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((l) => batch.captions!.map((c) => c[l])), '']),
    towers: (n) => ({
      text: {
        inputs: text.inputs(n),
        forward: (p, i, ctx) => ({ embedding: text.apply(p.text, i.ids, i.eot, ctx) }),
      },
    }),
    describe: () => ({
      recipe: 'radial-finetune',
      config: cfg,
      embedDim: cfg.embedDim,
      text: text.describe(),
      tokenizer: tokenizer.toJSON(),
      root: 'embedding of the empty text ""',
      heldOutSpecies,
      ...(start ? { pretrained: start.describe() } : {}),
      ...(cfg.from ? { fineTune: ft.description } : {}),
    }),
    async periodicEval(params): Promise<Record<string, number>> {
      const species = heldOutSpecies.length ? heldOutSpecies : trainSpecies;
      const e = await evaluate(params, specChains ?? chains(species, species.length, cfg.seed + 99));
      return { dCorr: e.dCorr, ...Object.fromEntries(e.meanRadius.map((r, k) => [`radius${k + 1}`, r])) };
    },
  } satisfies Recipe<RadialFinetuneParams> & Record<string, unknown>;
  return recipe;
}
/** The evaluation chains of a chains SPEC (the first 200 of its validation split, else of the file); 4 levels. */
function chainsOf(spec: SpecSource): readonly TextChain[] {
  const ds = (spec.val ?? spec.train) as (Dataset & { chains?: readonly TextChain[] }) | null;
  if (!ds?.chains)
    throw new CladeError('radial-finetune trains on chains: give chains:FILE.csv or hierarcaps:FILE.csv', {
      data: spec.spec,
    });
  if (ds.chains[0].positive.length !== 4)
    throw new CladeError(`radial-finetune needs 4-level chains, got ${ds.chains[0].positive.length}`, {
      data: spec.spec,
    });
  return ds.chains.slice(0, 200);
}
export type RadialFinetuneRecipe = ReturnType<typeof radialFinetune>;

import { pipelineSource } from '../../data/pipelines/index.ts';
import { specTabularTable } from '../../data/pipelines/spec.ts';
import { columnStats, tabularReference } from '../../data/pipelines/tabular.ts';
import { parseDataSpec } from '../../data/readers/data-spec.ts';
import { CladeError } from '../../util/errors.ts';
import { SYNTHETIC_TABULAR_FEATURES } from '../../data/synthetic/synthetic-taxonomy.ts';
import { constant, type Tensor } from '../../engine/tensor.ts';
import type { Ctx, HostTensor } from '../../nn/context.ts';
import { mlp, type MlpParams } from '../../nn/mlp.ts';
import type { SymbolicParams } from '../../nn/param-tree.ts';
import { cmcLoss } from '../../objectives/index.ts';
import type { Rng } from '../../util/rng.ts';
import type { Recipe, TowerSpec } from '../recipe.ts';
import { captionFeed } from './parts/caption-feed.ts';
import { clipAdamw, imageTextDescription } from './parts/clip-objective.ts';
import { captionTokenizer, prompts } from './parts/image-text-data.ts';
import { specHooks, specSource, type SpecImageTextData } from './parts/spec-data.ts';
import { syntheticData } from './parts/synthetic-data.ts';
import { clipTowers, type ClipTowerParams } from './parts/towers.ts';
import { clipinScores, zeroShotEvaluation, zeroShotOfOutputs } from './parts/zero-shot.ts';
import {
  multiviewTabularSchema,
  type MultiviewTabularConfig,
  type MultiviewTabularOptions,
} from './schemas.ts';

export type Modality = 'image' | 'text' | 'tabular';
export const MODALITIES: readonly Modality[] = ['image', 'text', 'tabular'];
export type MultiviewTabularParams = ClipTowerParams & { readonly tabular: MlpParams<HostTensor> };
type Sym = SymbolicParams<MultiviewTabularParams>;
/** Rows per zero-shot tower call on a SPEC's validation outputs. */
const EVAL_BATCH = 60;

/** The loss order of the views (core first) and which modalities a batch carries. */
function viewOrder(cfg: MultiviewTabularConfig, fromSpec: boolean) {
  const views = [...cfg.views];
  const at = views.indexOf(cfg.core);
  if (at < 0)
    throw new CladeError(`core view '${cfg.core}' is not one of views [${views.join(', ')}]`, {
      field: 'recipeConfig.core',
    });
  const order: Modality[] = [cfg.core, ...views.filter((_, i) => i !== at)];
  const tabularViews = order.filter((m) => m === 'tabular').length;
  if (
    tabularViews < 1 ||
    tabularViews > 2 ||
    order.filter((m) => m !== 'tabular').length !== new Set(order.filter((m) => m !== 'tabular')).size
  )
    throw new CladeError('views: each of image and text at most once, tabular once or twice', {
      field: 'recipeConfig.views',
    });
  if (!fromSpec && order.length !== 3)
    throw new CladeError('views other than image, text, tabular need a data SPEC (recipeConfig.data)', {
      field: 'recipeConfig.views',
    });
  const has = { image: order.includes('image'), text: order.includes('text') };
  return { order, has, tabularViews: tabularViews as 1 | 2 };
}

/** A SPEC's tabular feature names (its `tabular=` columns) and reference rows. */
function specTable(spec: SpecImageTextData) {
  const parsed = parseDataSpec(spec.source.spec);
  const features = parsed.kind === 'manifest' ? (parsed.columns.tabular ?? []) : [];
  if (!features.length || !spec.source.train)
    throw new CladeError(
      "multiview-tabular needs tabular columns: add 'tabular=COL,…' to the manifest spec",
      {
        data: spec.source.spec,
      },
    );
  return { features, ref: specTabularTable(spec.source.train, spec.source.spec) };
}

/**
 * The tabular tower: raw features x [N, 6] standardised in-graph with the training set's reference statistics
 * (so the exported tabular.onnx takes raw features), then the MLP → [N, D].
 */
function tabularTower(
  cfg: MultiviewTabularConfig,
  ref: { table: Float32Array; rows: number },
  features: readonly string[],
) {
  const stats = columnStats(ref.table, ref.rows);
  const nF = features.length;
  const widths = [nF, ...cfg.tabularHidden, cfg.embedDim];
  return {
    init: (rng: Rng) => mlp.init(rng, widths, { norm: 'layer' }),
    apply: (p: Sym['tabular'], x: Tensor, ctx: Ctx) => {
      const mean = constant(stats.mean, [1, nF]);
      const inv = constant(
        stats.std.map((s) => 1 / s),
        [1, nF],
      );
      return mlp.apply(p, x.sub(mean).mul(inv), ctx, { activation: 'relu' });
    },
    inputs: (n: number) => ({ tabular: { shape: [n, nF] } }),
    describe: () => ({
      arch: 'mlp',
      widths,
      features,
      standardise: { mean: [...stats.mean], std: [...stats.std] },
    }),
  };
}

/**
 * Image + caption + tabular contrastive training in one model with CMC (Tian et al. 2020,
 * https://arxiv.org/abs/1906.05849; docs/methods.md §F.3–F.4) on synthetic-taxonomy (or a data SPEC, or the penguins
 * table: `dataset: 'palmer-penguins'`, built in index.ts through parts/penguins-data.ts): the image and text towers of
 * clip-taxonomy and an MLP over the 6 standardised tabular features, pairwise symmetric InfoNCE aggregated over
 * the core view (`core`) or all pairs (`full`). `zeroShot` / `periodicEval`: zero-shot accuracy by rank of
 * image → text and tabular → text (`image/species`, `tabular/kingdom`, …).
 */
export function multiviewTabular(options: MultiviewTabularOptions = {}, spec?: SpecImageTextData) {
  const cfg = multiviewTabularSchema.parse(options);
  const data = spec ?? syntheticData(cfg);
  const tokenizer = captionTokenizer(cfg.contextLength, data);
  const t = clipTowers(cfg, data.preprocessing, tokenizer);
  const { order, has, tabularViews } = viewOrder(cfg, !!spec);
  const table = spec ? specTable(spec) : null;
  const tab = table
    ? tabularTower(cfg, table.ref, table.features)
    : tabularTower(cfg, tabularReference(data.synthetic!), SYNTHETIC_TABULAR_FEATURES);
  const B = cfg.batchSize;
  const captions = captionFeed(cfg, B, t.text.tokenize);
  /** The views' embeddings [B, D] in loss order (core first); a second tabular view reads `tabular2`. */
  const embed = (p: Sym, b: Readonly<Record<string, Tensor>>, ctx: Ctx): Tensor[] => {
    let tabulars = 0;
    const by: Record<Modality, () => Tensor> = {
      image: () => t.encodeImage(p, b.image, ctx),
      text: () => t.encodeText(p, b.ids, b.eot, ctx),
      tabular: () => tab.apply(p.tabular, b[tabulars++ ? 'tabular2' : 'tabular'], ctx),
    };
    return order.map((m) => by[m]());
  };
  const pipeline = (split: string, mode: 'train' | 'eval', perSpecies: number) =>
    spec
      ? specSource(spec.source, {
          part: split === 'train' ? 'train' : 'val',
          ...(has.image
            ? {
                image:
                  mode === 'train'
                    ? { kind: 'clip', size: cfg.size, scale: cfg.cropScale, views: 1 }
                    : { kind: 'clip-eval', size: cfg.size },
              }
            : {}),
          ...(has.text ? { captions: true } : {}),
          tabular:
            mode === 'train'
              ? { kind: 'scarf', corruption: cfg.corruption, noise: cfg.noise, views: tabularViews }
              : { kind: 'clean' },
        })
      : pipelineSource('synthetic-tabular', {
          ...{ seed: cfg.seed, size: cfg.size, corruption: cfg.corruption, noise: cfg.noise },
          ...{ split, mode, perSpecies },
        });
  const towers = (n: number): Record<Modality, TowerSpec<Sym>> => ({
    ...t.towers(n),
    tabular: {
      inputs: tab.inputs(n),
      forward: (p, i, ctx) => ({ embedding: tab.apply(p.tabular, i.tabular, ctx) }),
    },
  });
  const cosine = (a: Float32Array, b: Float32Array) => clipinScores('contrastive', a, b, cfg.embedDim, 0);
  const zs = zeroShotEvaluation({
    towers,
    tokenizer,
    data: { ...data, evalSource: (split, count = 5) => pipeline(split, 'eval', count) },
    queries: ['image', 'tabular'],
    modes: {
      image: (q, txt) => cosine(q.image.embedding, txt.embedding),
      tabular: (q, txt) => cosine(q.tabular.embedding, txt.embedding),
    },
  });

  const recipe = {
    name: 'multiview-tabular',
    config: cfg,
    tokenizer,
    order,
    embed,
    batchSize: B,
    init: (rng) => ({ ...t.init(rng), tabular: tab.init(rng.fork('tabular')) }),
    batchSpec: {
      ...(has.image ? t.image.inputs(B) : {}),
      ...(has.text ? t.text.inputs(B) : {}),
      ...tab.inputs(B),
      ...(tabularViews === 2 ? { tabular2: tab.inputs(B).tabular } : {}),
    },
    loss: (p, b, ctx) => ({ loss: cmcLoss(embed(p, b, ctx), cfg.temperature, cfg.mode) }),
    optimizer: clipAdamw(cfg.weightDecay),
    pipeline: pipeline('train', 'train', cfg.perSpecies),
    feeds: (batch, step) => ({
      ...(has.image ? { image: batch.views[0] } : {}),
      ...(has.text ? captions(batch, step) : {}),
      tabular: batch.tabular![0],
      ...(tabularViews === 2 ? { tabular2: batch.tabular![1] } : {}),
    }),
    towers,
    zeroShot: (params: MultiviewTabularParams, count?: number, split?: string) =>
      zs.zeroShot(params, count, split),
    periodicEval: (params) => zs.zeroShot(params),
    describe: () =>
      imageTextDescription('multiview-tabular', cfg, data, {
        ...t.describe(),
        tabular: tab.describe(),
        embedDim: cfg.embedDim,
        views: order,
      }),
    ...specHooks<MultiviewTabularParams>(spec?.source, {
      towers,
      tower: has.image ? 'image' : 'tabular',
      eval: (part) => pipeline(part, 'eval', 0),
      geometry: cfg.evalGeometry,
      ...(has.text
        ? {
            zeroShot: (params, outputs, labels) =>
              zeroShotOfOutputs({
                params,
                textTower: towers(EVAL_BATCH).text,
                batch: EVAL_BATCH,
                tokenizer,
                classes: { taxonomy: data.taxonomy, prompts: prompts(data, 'taxon') },
                queries: { [has.image ? 'image' : 'tabular']: { embedding: outputs.embedding.data } },
                labels,
                modes: has.image
                  ? { image: (q, txt) => cosine(q.image.embedding, txt.embedding) }
                  : { tabular: (q, txt) => cosine(q.tabular.embedding, txt.embedding) },
              }),
          }
        : {}),
    }),
  } satisfies Recipe<MultiviewTabularParams> & Record<string, unknown>;
  return recipe;
}
export type MultiviewTabularRecipe = ReturnType<typeof multiviewTabular>;

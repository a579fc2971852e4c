/**
 * The cases of `npm run bench:train`: one row per training recipe. Each case builds its recipe from its preset
 * (src/config/presets/<name>.json, so the bench measures exactly what `clade train <preset>` runs), names the
 * PyTorch twin of its model and loss for the throughput comparison, and scores an encoder's parameters (called
 * on the untrained and the trained parameters). Append a case to add a recipe.
 */
import { readFileSync } from 'node:fs';
import type { Batch } from '../../src/data/loader/loader-types.ts';
import { sharedDatasetsDir } from '../../src/data/readers/shared-datasets.ts';
import type { HostArray } from '../../src/engine/runtime/ort.ts';
import type { Params } from '../../src/nn/context.ts';
import {
  evaluateCifarEncoder,
  loadCifarEval,
  type CifarEvalData,
} from '../../src/train/recipes/parts/cifar-eval.ts';
import type { ImageTextData } from '../../src/train/recipes/parts/image-text-data.ts';
import { RECIPES, type RecipeName } from '../../src/train/recipes/index.ts';
import type { Recipe } from '../../src/train/recipe.ts';
import { Rng } from '../../src/util/rng.ts';
import { TrainStep } from '../../src/train/step.ts';

export interface TrainBenchCase {
  readonly name: string;
  readonly title: string;
  readonly recipe: () => Recipe;
  readonly train: {
    readonly steps: number;
    readonly lr: number;
    readonly warmup: number;
    readonly workers: number;
  };
  /** Case name + JSON config for bench/train/torch_train.py (null: no PyTorch twin). */
  readonly torch: { readonly name: string; readonly config: Record<string, unknown> } | null;
  /** Scores of an encoder (flat `name → value`, fractions for accuracies). */
  readonly evaluate: (recipe: Recipe, params: Params) => Promise<Record<string, number>>;
  /** The fixed batch the step throughput is timed on (default: normal floats, int64 labels in 0..99). */
  readonly feeds?: (recipe: Recipe) => Record<string, HostArray>;
}

export interface PresetJson {
  readonly recipe: RecipeName;
  readonly recipeConfig: Record<string, unknown>;
  readonly train: { steps: number; lr: number; warmup: number; workers?: number };
}

export function readPreset(name: string): PresetJson {
  return JSON.parse(readFileSync(new URL(`../../src/config/presets/${name}.json`, import.meta.url), 'utf8'));
}

const CIFAR = sharedDatasetsDir('cifar-100');
let cifarData: CifarEvalData | null = null;
/** CIFAR-100 train (20k) and test (10k), loaded once for every CIFAR case. */
const cifar = () => (cifarData ??= loadCifarEval(CIFAR));

/**
 * kNN (k 200) and linear probe at both ranks, the classifier's test accuracy when the tower has one, and
 * zero-shot accuracy by rank for image-text recipes (`zs:<mode>/<rank>`).
 */
async function cifarScores(recipe: Recipe, params: Params): Promise<Record<string, number>> {
  const s = await evaluateCifarEncoder(recipe, params, cifar());
  return {
    ...(s.testAccuracy !== undefined ? { testAcc: s.testAccuracy } : {}),
    knnFine: s.knn.fine,
    knnCoarse: s.knn.coarse,
    probeFine: s.probe.fine,
    probeCoarse: s.probe.coarse,
    ...Object.fromEntries(Object.entries(s.zeroShot ?? {}).map(([k, v]) => [`zs:${k}`, v])),
  };
}

type Entry = { schema: { parse(x: unknown): Record<string, unknown> }; build(c: unknown): Promise<Recipe> };

/**
 * A CIFAR-100 case built from a preset (`preset`, default the recipe's name), with the data path pointed at
 * ../shared (`file` for the image-only recipes, `dataDir` for the image-text ones).
 */
async function cifarCase(name: string, title: string, torchTwin: boolean): Promise<TrainBenchCase> {
  const preset = readPreset(name);
  const entry = RECIPES[preset.recipe] as unknown as Entry;
  const imageText = preset.recipeConfig.dataset === 'cifar-100';
  const data = imageText ? { dataDir: CIFAR } : { file: `${CIFAR}/train.bin` };
  const config = entry.schema.parse({ ...preset.recipeConfig, ...data });
  const recipe = await entry.build(config);
  const vocab = imageText
    ? { vocab: (recipe as Recipe & { tokenizer: { vocabSize: number } }).tokenizer.vocabSize }
    : {};
  return {
    name,
    title,
    recipe: () => recipe,
    train: { ...preset.train, workers: preset.train.workers ?? 1 },
    torch: torchTwin ? { name: preset.recipe, config: { ...config, ...vocab } } : null,
    evaluate: cifarScores,
    ...(imageText ? { feeds: captionedFeeds } : {}),
  };
}

/** An image-text recipe's step feeds for a fixed batch: normal-noise views, real captions of random classes. */
function captionedFeeds(recipe: Recipe): Record<string, HostArray> {
  const data = (recipe as Recipe & { data: ImageTextData }).data;
  const rng = new Rng(1);
  const B = recipe.batchSize;
  const views = Object.keys(recipe.batchSpec).filter((k) => k === 'image' || k.startsWith('view'));
  const labels = Int32Array.from({ length: B }, () => rng.int(data.captions.length));
  const batch: Batch = {
    epoch: 0,
    step: 0,
    indices: Int32Array.from({ length: B }, (_, i) => i),
    views: views.map(() => rng.normalArray(B * 3 * 32 * 32)),
    viewShape: [3, 32, 32],
    labels,
    captions: Array.from(labels, (k) => data.captions[k]),
    tokens: null,
    tabular: null,
  };
  return recipe.feeds(batch, 0);
}

/** Random feeds for a step: normal floats, int64 labels in 0..99. */
function randomFeeds(recipe: Recipe): Record<string, HostArray> {
  const r = new Rng(1);
  return Object.fromEntries(
    Object.entries(recipe.batchSpec).map(([k, s]) => {
      const n = s.shape.reduce((a, b) => a * b, 1);
      return [
        k,
        s.dtype === 'int64'
          ? BigInt64Array.from({ length: n }, (_, i) => BigInt((i * 37) % 100))
          : r.normalArray(n),
      ];
    }),
  );
}

/** The fixed batch a case's step is timed (and profiled) on. */
export const caseFeeds = (c: TrainBenchCase, recipe: Recipe): Record<string, HostArray> =>
  c.feeds?.(recipe) ?? randomFeeds(recipe);

/** The recipe's training step (forward, backward, optimizer) from its own initialisation. */
export const recipeStep = (recipe: Recipe): Promise<TrainStep> =>
  TrainStep.create({
    params: recipe.init(new Rng(0)),
    batch: recipe.batchSpec,
    loss: recipe.loss,
    optimizer: recipe.optimizer,
    trainable: recipe.trainable,
    clamp: recipe.clamp,
  });

export const CASES: readonly TrainBenchCase[] = await Promise.all([
  cifarCase(
    'supervised-cifar',
    'CIFAR-100 supervised: small CNN (BatchNorm) + linear head, CE + label smoothing 0.1',
    true,
  ),
  cifarCase('simclr-cifar', 'CIFAR-100 SimCLR: small CNN (BatchNorm) + projection head, NT-Xent', true),
  cifarCase(
    'clip-taxonomy-cifar',
    'CIFAR-100 clip-taxonomy: small CNN (BatchNorm) + text transformer, CLIP InfoNCE over BioCLIP 2 captions',
    true,
  ),
  cifarCase(
    'clipin-cifar',
    'CIFAR-100 clipin: clip-taxonomy towers + CLIPin plug-in (EMA target, inter/intra-modal terms)',
    true,
  ),
]);

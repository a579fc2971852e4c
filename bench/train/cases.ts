/**
 * The cases of `npm run bench:train`: one row per training recipe. Each case builds its recipe from its preset
 * (src/config/presets/<name>.json, so the bench measures exactly what `clade train <preset>` runs), names the
 * PyTorch twin of its model and loss for the throughput comparison, and scores an encoder's parameters (called
 * on the untrained and the trained parameters). Append a case to add a recipe.
 */
import { readFileSync } from 'node:fs';
import { sharedDatasetsDir } from '../../src/data/readers/shared-datasets.ts';
import type { Params } from '../../src/nn/context.ts';
import {
  evaluateCifarEncoder,
  loadCifarEval,
  type CifarEvalData,
} from '../../src/train/recipes/cifar-eval.ts';
import { RECIPES, type RecipeName } from '../../src/train/recipes/index.ts';
import type { Recipe } from '../../src/train/recipes/recipe.ts';

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
}

interface PresetJson {
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

/** kNN (k 200) and linear probe at both ranks, and the classifier's test accuracy when the tower has one. */
async function cifarScores(recipe: Recipe, params: Params): Promise<Record<string, number>> {
  const s = await evaluateCifarEncoder(recipe, params, cifar());
  return {
    ...(s.testAccuracy !== undefined ? { testAcc: s.testAccuracy } : {}),
    knnFine: s.knn.fine,
    knnCoarse: s.knn.coarse,
    probeFine: s.probe.fine,
    probeCoarse: s.probe.coarse,
  };
}

/** A CIFAR-100 image-only recipe case built from its preset, with the data path pointed at ../shared. */
function cifarCase(name: RecipeName, title: string, torchTwin: boolean): TrainBenchCase {
  const preset = readPreset(name);
  const entry = RECIPES[name] as unknown as {
    schema: { parse(x: unknown): Record<string, unknown> };
    build(c: unknown): Recipe;
  };
  const config = entry.schema.parse({ ...preset.recipeConfig, file: `${CIFAR}/train.bin` });
  return {
    name,
    title,
    recipe: () => entry.build(config),
    train: { ...preset.train, workers: preset.train.workers ?? 1 },
    torch: torchTwin ? { name, config } : null,
    evaluate: cifarScores,
  };
}

export const CASES: readonly TrainBenchCase[] = [
  cifarCase(
    'supervised-cifar',
    'CIFAR-100 supervised: small CNN (BatchNorm) + linear head, CE + label smoothing 0.1',
    true,
  ),
  cifarCase('simclr-cifar', 'CIFAR-100 SimCLR: small CNN + projection head, NT-Xent', true),
];

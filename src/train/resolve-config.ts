/**
 * From a raw config (preset or file) plus CLI overrides to validated, fully defaulted options: the trainer's
 * (`train`, schema in src/config/train-options.ts) and the recipe's (`recipeConfig`, schema in RECIPES). Lives in
 * the train layer because only it knows the recipes.
 */
import type { z } from 'zod';
import { applyOverrides, type Override } from '../config/overrides.ts';
import { PresetSchema } from '../config/preset.ts';
import { didYouMean } from '../config/suggest.ts';
import type { TrainConfig } from '../config/train-options.ts';
import { keysAt, problemsError, zodProblems } from '../config/zod-errors.ts';
import { CladeError } from '../util/errors.ts';
import { RECIPES, type RecipeEntry, type RecipeName } from './recipes/index.ts';
import type { Recipe } from './recipe.ts';

/**
 * A validated config: every default filled in, so writing it out records exactly what a run used. A union over
 * the recipe names, so checking `recipeName` narrows it (and `buildRecipe`'s result) to one recipe.
 */
export type ResolvedConfig = { [N in RecipeName]: ResolvedConfigOf<N> }[RecipeName];
export interface ResolvedConfigOf<N extends RecipeName> {
  readonly recipeName: N;
  /** Validated by `RECIPES[recipeName].schema`. */
  readonly recipeConfig: Readonly<Record<string, unknown>>;
  readonly train: TrainConfig;
  readonly description: string;
}

const recipeNames = (): string[] => Object.keys(RECIPES);
const isRecipe = (name: unknown): name is RecipeName =>
  typeof name === 'string' && Object.hasOwn(RECIPES, name);

/** The entry of a recipe, typed loosely enough to validate and build any of them. */
function entry(name: RecipeName): RecipeEntry<z.ZodType> {
  const e: { about: string; schema: z.ZodType; build: (c: never) => Recipe } = RECIPES[name];
  return { about: e.about, schema: e.schema, build: (c) => e.build(c as never) };
}

/**
 * Validate a raw config after applying dot-path overrides. Unknown keys (in the file or an override) name their
 * full dot path and close matches; type errors name the path; an unknown recipe lists the close ones.
 *
 * @example
 * const { raw, file } = loadConfig('demo');
 * const cfg = resolveConfig(raw, { file, overrides: splitOverrides(['--train.steps=10']).overrides });
 * cfg.train.steps; // 10
 * cfg.recipeConfig.embedDim; // 64
 */
export function resolveConfig(
  raw: unknown,
  o: { file?: string; overrides?: readonly Override[] } = {},
): ResolvedConfig {
  const file = o.file;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new CladeError('expected a config object { recipe, recipeConfig, train }', { file });
  const name = (raw as Record<string, unknown>).recipe;
  const withOverrides = applyOverrides(raw as Record<string, unknown>, o.overrides ?? [], (path) =>
    path[0] === 'recipeConfig' && isRecipe(name)
      ? keysAt(RECIPES[name].schema, path.slice(1))
      : keysAt(PresetSchema, path),
  );
  // Check the whole config before failing, so every problem (train and recipeConfig alike) is reported at once.
  const problems: string[] = [];
  const top = PresetSchema.safeParse(withOverrides);
  if (!top.success) problems.push(...zodProblems(top.error, PresetSchema));
  const rcRaw = withOverrides.recipeConfig ?? {};
  let recipeConfig: Record<string, unknown> = {};
  if (isRecipe(name)) {
    const schema = RECIPES[name].schema;
    const r = schema.safeParse(rcRaw);
    if (r.success) recipeConfig = r.data as Record<string, unknown>;
    else if (rcRaw !== null && typeof rcRaw === 'object' && !Array.isArray(rcRaw))
      problems.push(...zodProblems(r.error, schema, ['recipeConfig']));
  } else if (typeof name === 'string')
    problems.push(
      `'recipe': unknown recipe '${name}'${didYouMean(name, recipeNames())} (recipes: ${recipeNames().join(', ')})`,
    );
  if (problems.length || !top.success || !isRecipe(name)) throw problemsError(problems, file);
  return { recipeName: name, recipeConfig, train: top.data.train, description: top.data.description };
}

/**
 * Build the recipe a resolved config names.
 *
 * @example
 * const recipe = buildRecipe(resolveConfig(loadConfig('demo').raw)); // recipe.name === 'clip-taxonomy'
 */
export function buildRecipe<C extends ResolvedConfig>(c: C): RecipeOf<C['recipeName']> {
  const e = entry(c.recipeName);
  return e.build(e.schema.parse(c.recipeConfig)) as RecipeOf<C['recipeName']>;
}

/** The recipe type a recipe name builds. */
export type RecipeOf<N extends RecipeName> = ReturnType<(typeof RECIPES)[N]['build']>;

/**
 * The JSON form of a resolved config (what `clade train` writes to `<run>/config.json`); `resolveConfig` of it
 * gives the same config back.
 *
 * @example
 * writeFileAtomic('runs/x/config.json', JSON.stringify(configJson(cfg), null, 2));
 */
export function configJson(c: ResolvedConfig): Record<string, unknown> {
  return {
    description: c.description,
    recipe: c.recipeName,
    recipeConfig: c.recipeConfig,
    train: c.train,
  };
}

/**
 * Dot paths whose values differ between two resolved configs, with both values (`train.lr: 0.001 → 0.0003`).
 *
 * @example
 * configDiff(saved, requested); // ["train.lr: 0.002 → 0.0003"]
 */
export function configDiff(a: ResolvedConfig, b: ResolvedConfig): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, path: string) => {
    const obj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
    if (obj(x) && obj(y)) {
      for (const k of new Set([...Object.keys(x), ...Object.keys(y)]))
        walk(x[k], y[k], path ? `${path}.${k}` : k);
    } else if (JSON.stringify(x) !== JSON.stringify(y))
      out.push(`${path}: ${JSON.stringify(x)} → ${JSON.stringify(y)}`);
  };
  const { description: _a, ...ja } = configJson(a);
  const { description: _b, ...jb } = configJson(b);
  walk(ja, jb, '');
  return out;
}

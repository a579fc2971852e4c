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
import { discriminatorAt, keysAt, problemsError, zodProblems } from '../config/zod-errors.ts';
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
  /** What resolving changed on the user's behalf (e.g. a warm-up fitted to a shorter `--train.steps`), to print. */
  readonly notes?: readonly string[];
}

const DEFAULT_STEPS = 1000;
const DEFAULT_WARMUP = 100;

/**
 * `--train.steps=N` shorter than the file's warm-up (and no `--train.warmup`): keep the file's warm-up share of the
 * run rather than refuse it. Returns the note to print, and sets `train.warmup` in `cfg` (a copy).
 */
function fitWarmup(
  cfg: Record<string, unknown>,
  fileTrain: Record<string, unknown>,
  overrides: readonly Override[],
): string | undefined {
  const sets = (k: string) =>
    overrides.some((o) => o.path.length === 2 && o.path[0] === 'train' && o.path[1] === k);
  const train = cfg.train as Record<string, unknown> | undefined;
  if (!train || !sets('steps') || sets('warmup')) return undefined;
  const steps = train.steps;
  const warmup = fileTrain.warmup ?? DEFAULT_WARMUP;
  const fileSteps = fileTrain.steps ?? DEFAULT_STEPS;
  if (typeof steps !== 'number' || typeof warmup !== 'number' || typeof fileSteps !== 'number')
    return undefined;
  if (!(steps > 0) || warmup <= steps) return undefined;
  const fitted = Math.min(steps, Math.round((steps * warmup) / Math.max(fileSteps, 1)));
  cfg.train = { ...train, warmup: fitted };
  return `train.warmup: the config's warm-up (${warmup} of ${fileSteps} steps) is longer than --train.steps=${steps}; using ${fitted} (the same share; set --train.warmup to choose)`;
}

const recipeNames = (): string[] => Object.keys(RECIPES);
const isRecipe = (name: unknown): name is RecipeName =>
  typeof name === 'string' && Object.hasOwn(RECIPES, name);

/** The entry of a recipe, typed loosely enough to validate and build any of them. */
function entry(name: RecipeName): RecipeEntry<z.ZodType> {
  const e: { about: string; schema: z.ZodType; build: (c: never) => Promise<Recipe> } = RECIPES[name];
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
  const schemaOf = (path: readonly string[]): [z.ZodType, readonly string[]] =>
    path[0] === 'recipeConfig' && isRecipe(name)
      ? [RECIPES[name].schema, path.slice(1)]
      : [PresetSchema, path];
  const withOverrides = applyOverrides(
    raw as Record<string, unknown>,
    o.overrides ?? [],
    (path) => keysAt(...schemaOf(path)),
    (path) => discriminatorAt(...schemaOf(path)),
  );
  const fileTrain = (raw as Record<string, unknown>).train;
  const note = fitWarmup(
    withOverrides,
    fileTrain !== null && typeof fileTrain === 'object' ? (fileTrain as Record<string, unknown>) : {},
    o.overrides ?? [],
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
  if (problems.length || !top.success || !isRecipe(name))
    throw problemsError(blameOverrides(problems, o.overrides ?? []), file);
  return {
    recipeName: name,
    recipeConfig,
    train: top.data.train,
    description: top.data.description,
    ...(note ? { notes: [note] } : {}),
  };
}

/** A problem at a dot path an override set says so: the file is not to blame for the command line's value. */
function blameOverrides(problems: readonly string[], overrides: readonly Override[]): string[] {
  return problems.map((p) => {
    const hit = overrides.find((o) => p.startsWith(`'${o.path.join('.')}'`));
    return hit ? `${p} (set by ${hit.text} on the command line)` : p;
  });
}

/**
 * Build the recipe a resolved config names.
 *
 * @example
 * const recipe = await buildRecipe(resolveConfig(loadConfig('demo').raw)); // recipe.name === 'clip-taxonomy'
 */
export async function buildRecipe<C extends ResolvedConfig>(c: C): Promise<RecipeOf<C['recipeName']>> {
  const e = entry(c.recipeName);
  return (await e.build(e.schema.parse(c.recipeConfig))) as RecipeOf<C['recipeName']>;
}

/** The recipe type a recipe name builds. */
export type RecipeOf<N extends RecipeName> = Awaited<ReturnType<(typeof RECIPES)[N]['build']>>;

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

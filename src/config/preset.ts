/**
 * Config files and presets: `{ recipe, description?, recipeConfig, train }` as JSON. Presets are the JSON files in
 * `src/config/presets/` (every `*.json` there is one); a config file is the same thing anywhere on disk.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CladeError } from '../util/errors.ts';
import { didYouMean } from './suggest.ts';
import { TrainOptionsSchema } from './train-options.ts';
import { parseOrThrow } from './zod-errors.ts';

/** The folder holding the shipped presets. */
export const PRESETS_DIR = fileURLToPath(new URL('./presets/', import.meta.url));

/**
 * A config file. `recipeConfig` is checked against the named recipe's own schema by `resolveConfig`
 * (src/train/resolve-config.ts), which knows the recipes; here it is any object.
 */
export const PresetSchema = z
  .object({
    /** Editors' JSON-schema hint; ignored. */
    $schema: z.string().optional(),
    /** One line shown by `clade presets`. */
    description: z.string().default(''),
    /** A key of RECIPES (src/train/recipes/index.ts). */
    recipe: z.string().min(1),
    recipeConfig: z.record(z.string(), z.unknown()).prefault({}),
    train: TrainOptionsSchema.prefault({}),
  })
  .strict();

/**
 * A config with its `train` section validated and defaulted (`recipeConfig` still raw).
 *
 * @example
 * const p: PresetFile = PresetSchema.parse({ recipe: 'clip-taxonomy' }); // train.steps 1000, recipeConfig {}
 */
export type PresetFile = z.infer<typeof PresetSchema>;

/** A config as loaded: the raw JSON (overrides apply to it before validation) and where it came from. */
export interface LoadedConfig {
  /** Preset name, or the config file's base name without `.json`. */
  readonly name: string;
  readonly file: string;
  readonly raw: Record<string, unknown>;
}

/** Read a JSON config file; malformed JSON or a non-object throws naming the file. */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CladeError(`cannot read config: ${(e as Error).message}`, { file });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CladeError(`invalid JSON: ${(e as Error).message}`, { file });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new CladeError('expected a JSON object { recipe, recipeConfig, train }', { file });
  return raw as Record<string, unknown>;
}

/** Names of the shipped presets (sorted). */
export function presetNames(): string[] {
  if (!existsSync(PRESETS_DIR)) return [];
  return readdirSync(PRESETS_DIR)
    .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
    .map((f) => basename(f, '.json'))
    .sort();
}

function isPathLike(spec: string): boolean {
  return (
    extname(spec).toLowerCase() === '.json' ||
    spec.includes('/') ||
    (existsSync(spec) && statSync(spec).isFile())
  );
}

function loadOne(pathOrPreset: string): LoadedConfig {
  if (isPathLike(pathOrPreset)) {
    if (!existsSync(pathOrPreset)) throw new CladeError('config file does not exist', { file: pathOrPreset });
    return { name: basename(pathOrPreset, '.json'), file: pathOrPreset, raw: readConfigFile(pathOrPreset) };
  }
  const names = presetNames();
  if (!names.includes(pathOrPreset)) {
    const hint = didYouMean(pathOrPreset, names);
    throw new CladeError(
      `unknown preset '${pathOrPreset}'${hint || ` (presets: ${names.join(', ')})`} — or give the path of a .json config`,
    );
  }
  const file = join(PRESETS_DIR, `${pathOrPreset}.json`);
  return { name: pathOrPreset, file, raw: readConfigFile(file) };
}

const isPlain = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * `over` laid on `base`: objects merge key by key, anything else (numbers, strings, lists) is replaced. A config
 * naming a different recipe than its base does not inherit the base's `recipeConfig`.
 *
 * @example
 * mergeConfig({ train: { steps: 300, lr: 2e-3 } }, { train: { steps: 50 } }); // { train: { steps: 50, lr: 2e-3 } }
 */
export function mergeConfig(
  base: Readonly<Record<string, unknown>>,
  over: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const merge = (b: unknown, o: unknown): unknown => {
    if (!isPlain(b) || !isPlain(o)) return structuredClone(o);
    const out: Record<string, unknown> = structuredClone(b);
    for (const [k, v] of Object.entries(o)) out[k] = k in out ? merge(out[k], v) : structuredClone(v);
    return out;
  };
  const out = merge(base, over) as Record<string, unknown>;
  if (over.recipe !== undefined && over.recipe !== base.recipe)
    out.recipeConfig = structuredClone(over.recipeConfig ?? {});
  return out;
}

/**
 * Load a config by preset name (`demo`) or file path (`my-run.json`, anything that exists or ends in `.json`).
 * An unknown preset name throws listing close matches (or all presets). A config may start from another with
 * `"extends": "<preset or path>"` (a relative path is relative to the config's folder); see `mergeConfig`.
 *
 * @example
 * const { name, raw } = loadConfig('clip-taxonomy'); // raw.recipe === 'clip-taxonomy'
 * loadConfig('runs/x/config.json');
 * loadConfig('short.json'); // { "extends": "demo", "train": { "steps": 50 } }
 */
export function loadConfig(pathOrPreset: string, seen: readonly string[] = []): LoadedConfig {
  const loaded = loadOne(pathOrPreset);
  const parent = loaded.raw.extends;
  if (parent === undefined) return loaded;
  if (typeof parent !== 'string' || !parent)
    throw new CladeError(`'extends' must name a preset or a config file, got ${JSON.stringify(parent)}`, {
      file: loaded.file,
    });
  const chain = [...seen, resolve(loaded.file)];
  const target = isPathLike(parent) && !isAbsolute(parent) ? join(dirname(loaded.file), parent) : parent;
  if (
    isPathLike(target)
      ? chain.includes(resolve(target))
      : chain.includes(resolve(PRESETS_DIR, `${target}.json`))
  )
    throw new CladeError(`'extends' cycle: ${[...chain, target].join(' → ')}`, { file: loaded.file });
  const base = loadConfig(target, chain);
  const { extends: _drop, ...own } = loaded.raw;
  void _drop;
  return { ...loaded, raw: mergeConfig(base.raw, own) };
}

/** One row of `clade presets`. */
export interface PresetInfo {
  readonly name: string;
  readonly file: string;
  readonly recipe: string;
  readonly description: string;
  readonly steps: number;
}

/**
 * Every preset in `src/config/presets/`, with its recipe and description; a preset that does not parse throws
 * naming its file and key (so a broken preset is caught by the tests, not by a user).
 *
 * @example
 * listPresets().map((p) => `${p.name}: ${p.recipe}`); // ['clip-taxonomy: clip-taxonomy', 'demo: clip-taxonomy', …]
 */
export function listPresets(): PresetInfo[] {
  return presetNames().map((name) => {
    const { file, raw } = loadConfig(name);
    const p = parseOrThrow(PresetSchema, raw, { file });
    return { name, file, recipe: p.recipe, description: p.description, steps: p.train.steps };
  });
}

// Public exports of the config layer (zod schemas, presets, overrides). zod stays inside src/config/ and
// src/train/resolve-config.ts; the trainer and recipes take the plain typed objects these produce.
export { TrainOptionsSchema, type TrainConfig } from './train-options.ts';
export {
  PresetSchema,
  PRESETS_DIR,
  loadConfig,
  listPresets,
  mergeConfig,
  presetNames,
  readConfigFile,
  type PresetFile,
  type PresetInfo,
  type LoadedConfig,
} from './preset.ts';
export {
  applyOverrides,
  parseOverrideValue,
  splitOverrides,
  type Override,
  type KeysAt,
} from './overrides.ts';
export { closeMatches, didYouMean, editDistance } from './suggest.ts';
export { dotPath, keysAt, parseOrThrow, problemsError, schemaAt, zodProblems } from './zod-errors.ts';

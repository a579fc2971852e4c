/**
 * An open_clip checkpoint folder as published on model hubs: `open_clip_config.json` + `open_clip_model.safetensors`
 * (the layout of BioCLIP, BioCLIP 2 and OpenCLIP releases). Read from local files only.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseSafetensors } from '../io/safetensors.ts';
import { CladeError } from '../util/errors.ts';
import { readOpenClipConfig, type OpenClipSpec } from './open-clip-config.ts';
import { fromOpenClipStateDict, type OpenClipParams } from './open-clip-weights.ts';

/** Weight file names open_clip looks for in a folder, in its order of preference (safetensors only). */
export const OPEN_CLIP_WEIGHT_FILES = [
  'open_clip_model.safetensors',
  'open_clip_pytorch_model.safetensors',
  'model.safetensors',
] as const;

/** True when `dir` is a folder with an `open_clip_config.json`. */
export function isOpenClipFolder(dir: string): boolean {
  try {
    return statSync(dir).isDirectory() && existsSync(join(dir, 'open_clip_config.json'));
  } catch {
    return false;
  }
}

/** A loaded open_clip model: its resolved config, clade parameter trees, and the weight file's SHA-256. */
export interface OpenClipModel {
  readonly dir: string;
  readonly spec: OpenClipSpec;
  readonly params: OpenClipParams;
  readonly weightsFile: string;
  /** SHA-256 (hex) of the weight file: keys caches of text embeddings. */
  readonly sha256: string;
}

/**
 * The safetensors weight file of an open_clip folder. A folder with only a PyTorch pickle (`*.bin`, `*.pt`, `*.pth`)
 * gets a one-line explanation of how to get the safetensors file instead.
 */
export function openClipWeightsFile(dir: string): string {
  for (const f of OPEN_CLIP_WEIGHT_FILES) if (existsSync(join(dir, f))) return join(dir, f);
  const pickles = readdirSync(dir).filter((f) => /\.(bin|pt|pth)$/.test(f));
  if (pickles.length)
    throw new CladeError(
      `${pickles[0]} is a PyTorch pickle, which clade does not read; get open_clip_model.safetensors from the same model repository (e.g. huggingface-cli download ORG/MODEL open_clip_model.safetensors --local-dir ${dir})`,
      { file: join(dir, pickles[0]) },
    );
  throw new CladeError(`no weights: expected one of ${OPEN_CLIP_WEIGHT_FILES.join(', ')}`, { file: dir });
}

/**
 * Load an open_clip folder into clade parameter trees (config validated, keys mapped, shapes checked).
 *
 * @example
 * const m = loadOpenClipFolder('models/bioclip-2');
 * m.spec.vision.layers; // 24
 */
export function loadOpenClipFolder(dir: string): OpenClipModel {
  if (!isOpenClipFolder(dir))
    throw new CladeError('not an open_clip folder: expected open_clip_config.json', { file: dir });
  const spec = readOpenClipConfig(dir);
  const weightsFile = openClipWeightsFile(dir);
  let buf: Buffer;
  try {
    buf = readFileSync(weightsFile);
  } catch (e) {
    throw new CladeError(`cannot read weights: ${(e as Error).message}`, { file: weightsFile });
  }
  const sha256 = createHash('sha256').update(buf).digest('hex');
  const { tensors } = parseSafetensors(buf, weightsFile);
  const params = fromOpenClipStateDict(tensors, spec, weightsFile);
  return { dir, spec, params, weightsFile, sha256 };
}

/** A short display name of a model folder (its base name). */
export const modelName = (dir: string): string => basename(dir.replace(/\/+$/, ''));

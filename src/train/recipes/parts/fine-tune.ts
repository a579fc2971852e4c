/**
 * Fine-tuning rules over a recipe's towers: which parameters train when a tower is locked (LiT, open_clip's
 * `--lock-image` / `--lock-text`) with its last N blocks unlocked, and layer-wise learning-rate decay (BEiT / timm
 * `layer_decay`). Both read only parameter paths: a tower is the subtree under its prefix (`image.`, `text.`) plus
 * the heads that follow it (`imageProj`), and its layers are numbered as timm numbers them —
 *   0: embeddings (patch / token embedding, class token, positions, `lnPre`);
 *   i + 1: block i (`blocks.i`, or a CNN's `convs.i` / `bns.i`);
 *   L + 1: everything after the last block (final LayerNorm, projection heads).
 */
import { CladeError } from '../../../util/errors.ts';

/** The fine-tuning options of a recipe config (schemas.ts `fineTune`). */
export interface FineTuneConfig {
  readonly from: string;
  readonly lockImage?: boolean;
  readonly unlockImageBlocks?: number;
  readonly lockText?: boolean;
  readonly unlockTextBlocks?: number;
  readonly layerDecay?: number;
}

/** A tower as the rules see it: its parameter prefix, block count, and the top-level heads that follow it. */
export interface TowerLayers {
  readonly prefix: string;
  readonly depth: number;
  readonly heads?: readonly string[];
}

const BLOCK = /^(?:blocks|convs|bns)\.(\d+)(?:\.|$)/;
const AFTER = /^(?:ln|proj|head)(?:\.|$)/;

/** The layer id of `path` within `tower` (0 … L + 1), or null when the path is not the tower's. */
export function layerId(path: string, tower: TowerLayers): number | null {
  if (tower.heads?.some((h) => path === h || path.startsWith(`${h}.`))) return tower.depth + 1;
  if (!path.startsWith(`${tower.prefix}.`)) return null;
  const rest = path.slice(tower.prefix.length + 1);
  const block = BLOCK.exec(rest);
  if (block) return Number(block[1]) + 1;
  return AFTER.test(rest) ? tower.depth + 1 : 0;
}

export interface FineTuneRules {
  /** False for the parameters a locked tower keeps; undefined when nothing is locked. */
  readonly trainable?: (path: string) => boolean;
  /** d^(L + 1 − layer id) inside each tower, 1 elsewhere; undefined without layer decay. */
  readonly lrScale?: (path: string) => number;
  /** What the rules do, for model.json. */
  readonly description: Record<string, unknown>;
}

/**
 * The trainable rule and LR scales of a fine-tuning config over the recipe's towers (`image` and/or `text`).
 * Errors name the config key: a lock or layer decay without `from`, more unlocked blocks than the tower has, an
 * option for a tower the recipe does not have.
 *
 * @example
 * const ft = fineTuneRules(cfg, { image: { prefix: 'image', depth: 12, heads: ['imageProj'] }, text: { prefix: 'text', depth: 12 } });
 * ft.lrScale?.('image.blocks.11.fc1.w'); // d
 */
export function fineTuneRules(
  cfg: FineTuneConfig,
  towers: { readonly image?: TowerLayers; readonly text?: TowerLayers },
): FineTuneRules {
  const locks = [
    { key: 'image', lock: cfg.lockImage ?? false, unlock: cfg.unlockImageBlocks ?? 0, tower: towers.image },
    { key: 'text', lock: cfg.lockText ?? false, unlock: cfg.unlockTextBlocks ?? 0, tower: towers.text },
  ];
  const decay = cfg.layerDecay ?? 1;
  for (const l of locks) {
    const Key = l.key[0].toUpperCase() + l.key.slice(1);
    if (l.unlock > 0 && !l.lock)
      throw new CladeError(`unlock${Key}Blocks unlocks blocks of a locked tower: set lock${Key}: true`, {
        field: `unlock${Key}Blocks`,
      });
    if (!l.lock) continue;
    if (!cfg.from)
      throw new CladeError(`lock${Key} keeps pretrained weights: set from (a model to start from)`, {
        field: `lock${Key}`,
      });
    if (!l.tower) throw new CladeError(`this recipe has no ${l.key} tower to lock`, { field: `lock${Key}` });
    if (l.unlock > l.tower.depth)
      throw new CladeError(
        `unlock${Key}Blocks is ${l.unlock}, but the ${l.key} tower has ${l.tower.depth} blocks`,
        { field: `unlock${Key}Blocks` },
      );
  }
  if (decay !== 1 && !cfg.from)
    throw new CladeError('layerDecay scales the learning rates of pretrained layers: set from', {
      field: 'layerDecay',
    });
  const all = [towers.image, towers.text].filter((t): t is TowerLayers => !!t);
  const locked = locks.filter((l) => l.lock && l.tower);
  const trainable = locked.length
    ? (path: string) =>
        locked.every((l) => {
          const id = layerId(path, l.tower!);
          // unlocked: block ids L − N + 1 … L and the layers after them (L + 1)
          return id === null || (l.unlock > 0 && id > l.tower!.depth - l.unlock);
        })
    : undefined;
  const lrScale =
    decay !== 1
      ? (path: string) => {
          for (const t of all) {
            const id = layerId(path, t);
            if (id !== null) return decay ** (t.depth + 1 - id);
          }
          return 1;
        }
      : undefined;
  return {
    trainable,
    lrScale,
    description: {
      lockImage: cfg.lockImage ?? false,
      unlockImageBlocks: cfg.unlockImageBlocks ?? 0,
      lockText: cfg.lockText ?? false,
      unlockTextBlocks: cfg.unlockTextBlocks ?? 0,
      layerDecay: decay,
    },
  };
}

/** Both rules of a recipe that has its own `trainable` (e.g. EMA targets are never trained): both must hold. */
export function andTrainable(
  own: ((path: string) => boolean) | undefined,
  ft: FineTuneRules,
): ((path: string) => boolean) | undefined {
  if (!own) return ft.trainable;
  if (!ft.trainable) return own;
  return (path) => own(path) && ft.trainable!(path);
}

/**
 * The towers of a clade model directory's image-text recipe as the rules number them: the small CNN's
 * convolutions as its blocks, the text transformer's blocks.
 */
export function cladeTowerLayers(
  cfg: { readonly imageChannels?: readonly number[]; readonly textDepth: number },
  imageHeads: readonly string[] = [],
): { image?: TowerLayers; text: TowerLayers } {
  const text = { prefix: 'text', depth: cfg.textDepth };
  if (!cfg.imageChannels) return { text };
  return { image: { prefix: 'image', depth: cfg.imageChannels.length, heads: imageHeads }, text };
}

/**
 * Write an open_clip checkpoint folder (`open_clip_config.json` + `open_clip_model.safetensors`) from clade
 * parameter trees: tests build checkpoints of any configuration with it, and bench:infer hands the same random
 * weights to PyTorch.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors } from '../io/safetensors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { Rng } from '../util/rng.ts';
import { openClipSpec, type OpenClipSpec } from '../checkpoints/open-clip-config.ts';
import { toOpenClipStateDict, type OpenClipParams } from '../checkpoints/open-clip-weights.ts';
import { openClipTowers } from '../checkpoints/open-clip-towers.ts';

/**
 * Random parameters in a config's shapes (clade's inits; LayerNorms perturbed so that a mis-wired norm shows).
 *
 * @example
 * const params = randomOpenClipParams(spec, new Rng(0));
 */
export function randomOpenClipParams(spec: OpenClipSpec, rng: Rng): OpenClipParams {
  const t = openClipTowers(spec);
  const perturb = (o: unknown): void => {
    if (!o || typeof o !== 'object') return;
    for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
      if (!v || typeof v !== 'object') continue;
      if (!('data' in v)) {
        perturb(v);
        continue;
      }
      if (k !== 'gamma' && k !== 'beta' && k !== 'ls1' && k !== 'ls2') continue;
      const d = (v as { data: Float32Array }).data;
      for (let i = 0; i < d.length; i++)
        d[i] = (k === 'beta' ? 0 : k === 'gamma' ? 1 : 0.5) + 0.2 * rng.normal();
    }
  };
  const params = { image: t.image.init(rng), text: t.text.init(rng), logitScale: Math.log(1 / 0.07) };
  perturb(params);
  return params;
}

/**
 * Write `dir/open_clip_config.json` (the given config JSON) and `dir/open_clip_model.safetensors`.
 *
 * @example
 * writeOpenClipFolder('tmp/m', config, randomOpenClipParams(openClipSpec(config), new Rng(0)));
 */
export function writeOpenClipFolder(
  dir: string,
  config: unknown,
  params?: OpenClipParams,
  seed = 0,
): OpenClipParams {
  const spec = openClipSpec(config);
  const p = params ?? randomOpenClipParams(spec, new Rng(seed));
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, 'open_clip_config.json'), JSON.stringify(config, null, 2) + '\n');
  writeSafetensors(join(dir, 'open_clip_model.safetensors'), toOpenClipStateDict(p, spec));
  return p;
}

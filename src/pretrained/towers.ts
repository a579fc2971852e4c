/**
 * open_clip's two towers as clade models (`vit`, `textTransformer` configured from an `OpenClipSpec`) and their
 * eval-mode forward graphs for ONNX export: image [B, 3, H, W] → embedding [B, E]; text ids [B, T] int64 and the
 * end-of-text position eot [B] int64 → embedding [B, E] (not normalised, as open_clip's `encode_image/encode_text`).
 */
import type { TowerSpec } from '../train/recipe.ts';
import type { TextTransformerParams } from '../nn/models/text-transformer.ts';
import type { VitParams } from '../nn/models/vit.ts';
import { CladeError } from '../util/errors.ts';
import type { OpenClipSpec } from '../checkpoints/open-clip-config.ts';
import { openClipTowers } from '../checkpoints/open-clip-towers.ts';

/**
 * Forward specs for `forwardOnnx`: one per tower, batch `batch`, parameters under `image.` / `text.`.
 *
 * @example
 * const bytes = forwardOnnx({ image: params.image }, towerSpecs(spec, 32).image);
 */
export function towerSpecs(spec: OpenClipSpec, batch: number): { image: TowerSpec; text: TowerSpec } {
  const { image, text } = openClipTowers(spec);
  const [h, w] = spec.vision.image;
  return {
    image: {
      inputs: { image: { shape: [batch, 3, h, w] } },
      forward: (p, x, ctx) => ({
        embedding: image.apply((p as unknown as { image: VitParams }).image, x.image, ctx),
      }),
    },
    text: {
      inputs: {
        ids: { shape: [batch, spec.text.context], dtype: 'int64' },
        eot: { shape: [batch], dtype: 'int64' },
      },
      forward: (p, x, ctx) => ({
        embedding: text.apply((p as unknown as { text: TextTransformerParams }).text, x.ids, ctx, x.eot),
      }),
    },
  };
}

/** ONNX files are protobuf messages, which cannot exceed 2 GiB; weights are stored inside the tower's graph. */
const ONNX_LIMIT = 2 ** 31 - 64 * 2 ** 20;

/**
 * Throw a clear error when a tower's float32 weights cannot fit in one ONNX file (ViT-H/14 and larger image
 * towers: clade does not write ONNX external-data files yet).
 */
export function checkTowerSize(params: unknown, tower: string, file?: string): void {
  let bytes = 0;
  const walk = (o: unknown): void => {
    if (!o || typeof o !== 'object') return;
    if ('data' in o && (o as { data: unknown }).data instanceof Float32Array) {
      bytes += (o as { data: Float32Array }).data.byteLength;
      return;
    }
    for (const v of Object.values(o)) walk(v);
  };
  walk(params);
  if (bytes > ONNX_LIMIT)
    throw new CladeError(
      `the ${tower} tower has ${(bytes / 2 ** 30).toFixed(2)} GiB of float32 weights, more than one ONNX file holds (2 GiB); models up to ViT-L/14 fit`,
      { file },
    );
}

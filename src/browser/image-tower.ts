import * as ort from 'onnxruntime-web/wasm';
import { withChannels } from '../data/augment/color.ts';
import { clipEvalView } from '../data/augment/views.ts';
import type { Image } from '../data/types.ts';
import { Rng } from '../util/rng.ts';

/** The image preprocessing a model directory records (what `clade embed` applies). */
export interface TowerPreprocessing {
  readonly channels: number;
  readonly size: number;
  readonly mean: readonly number[] | null;
  readonly std: readonly number[] | null;
  readonly input: string;
  /** Static batch size of the exported graph (one image is padded to it). */
  readonly batch: number;
}

/**
 * An exported clade image tower (`image.onnx`) in onnxruntime-web (WebAssembly, one thread), with `clade embed`'s
 * preprocessing: channels matched, resize shorter side + centre crop (bicubic), the model's mean/std.
 *
 * @example
 * const tower = await ImageTower.create(onnxBytes, wasmBytes, pre);
 * const e = await tower.embed(await decodeImage(file)); // [D]
 */
export class ImageTower {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly pre: TowerPreprocessing,
  ) {}

  /** `wasm`: the bytes of onnxruntime-web's `ort-wasm-simd-threaded.wasm` (no fetch, so `file://` pages work). */
  static async create(
    model: Uint8Array,
    wasm: Uint8Array | null,
    pre: TowerPreprocessing,
  ): Promise<ImageTower> {
    ort.env.wasm.numThreads = 1;
    if (wasm) ort.env.wasm.wasmBinary = wasm;
    const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
    return new ImageTower(session, pre);
  }

  /** The model input of one image (`[C, S, S]` float32), exactly as `clade embed` computes it. */
  preprocess(img: Image): Float32Array {
    const { size, channels, mean, std } = this.pre;
    const view = clipEvalView({ size, normalize: mean && std ? { mean, std } : null });
    const out = new Float32Array(channels * size * size);
    view.forward(withChannels(img, channels), new Rng(0), out, 0);
    return out;
  }

  /** The image's embedding `[D]` (not normalised: the tower's output). */
  async embed(img: Image): Promise<Float32Array> {
    const { size, channels, input, batch } = this.pre;
    const per = channels * size * size;
    const x = new Float32Array(batch * per);
    x.set(this.preprocess(img));
    const out = await this.session.run({
      [input]: new ort.Tensor('float32', x, [batch, channels, size, size]),
    });
    const e = out.embedding ?? Object.values(out)[0];
    const d = e.dims[1];
    return (e.data as Float32Array).slice(0, d);
  }
}

/**
 * Decodes an image file (PNG, JPEG, WebP, …) with the browser's decoder into 8-bit RGB, without colour-space
 * conversion or alpha premultiplication (opaque PNGs decode to the same pixels as sharp's).
 */
export async function decodeImage(blob: Blob): Promise<Image> {
  const bmp = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const canvas = new OffscreenCanvas(bmp.width, bmp.height);
  const g = canvas.getContext('2d', { colorSpace: 'srgb' })!;
  g.drawImage(bmp, 0, 0);
  const rgba = g.getImageData(0, 0, bmp.width, bmp.height).data;
  const n = bmp.width * bmp.height;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    data[3 * i] = rgba[4 * i];
    data[3 * i + 1] = rgba[4 * i + 1];
    data[3 * i + 2] = rgba[4 * i + 2];
  }
  return { data, width: bmp.width, height: bmp.height, channels: 3 };
}

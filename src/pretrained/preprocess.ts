/**
 * open_clip's evaluation transform (`image_transform(..., is_train=False)`) from a resolved `preprocess_cfg`: resize
 * by PIL's resampling, bit for bit (bicubic or bilinear, antialiased when shrinking, 8-bit fixed point:
 * `resamplePil8Into`), centre crop or pad, to [0, 1], then the model's mean/std. Only the kept window is computed.
 */
import { roundHalfEven } from '../data/augment/float-image.ts';
import { resamplePil8Into, type ResampleSpec } from '../data/augment/resample.ts';
import { resizedSize } from '../data/augment/resize.ts';
import type { Image } from '../data/types.ts';
import { CladeError } from '../util/errors.ts';
import type { OpenClipPreprocess } from '../checkpoints/open-clip-config.ts';

/** timm's `ResizeKeepRatio`: scale both sides by the shorter (`longest` 0) or longer (1) side's ratio, rounded. */
function keepRatioSize(h: number, w: number, th: number, tw: number, longest: boolean): [number, number] {
  const rh = h / th;
  const rw = w / tw;
  const ratio = longest ? Math.max(rh, rw) : Math.min(rh, rw);
  return [roundHalfEven(h / ratio), roundHalfEven(w / ratio)];
}

/**
 * The resampling geometry of open_clip's eval transform for an `h` × `w` image: where the resized image lands in
 * the [H, W] output (`resize` size, `crop` offsets into it, `pad` offsets of it into the output).
 *
 * @example
 * evalGeometry({ size: [224, 224], resizeMode: 'shortest', ... }, 300, 400); // resize [224, 298], crop [0, 37]
 */
export function evalGeometry(
  pre: OpenClipPreprocess,
  h: number,
  w: number,
): { resize: [number, number]; crop: [number, number]; pad: [number, number] } {
  const [th, tw] = pre.size;
  let resize: [number, number];
  if (pre.resizeMode === 'squash') resize = [th, tw];
  else if (pre.resizeMode === 'longest') resize = keepRatioSize(h, w, th, tw, true);
  else if (th === tw)
    resize = resizedSize(h, w, th); // torchvision Resize(int): int(size·long/short)
  else resize = keepRatioSize(h, w, th, tw, false);
  // torchvision CenterCrop / open_clip center_crop_or_pad: pad (floor of half) where smaller, then crop at round(half).
  const axis = (r: number, t: number): [number, number] => {
    if (r >= t) return [roundHalfEven((r - t) / 2), 0];
    return [0, Math.floor((t - r) / 2)];
  };
  const [cy, py] = axis(resize[0], th);
  const [cx, px] = axis(resize[1], tw);
  return { resize, crop: [cy, cx], pad: [py, px] };
}

/**
 * Preprocess one 8-bit image (HWC, 1 or 3 channels; grey is replicated, as PIL's `convert('RGB')`) into CHW floats
 * [3, H, W] at `out[offset..]`.
 *
 * @example
 * const x = new Float32Array(3 * 224 * 224);
 * preprocessInto(spec.preprocess, img, x);
 */
export function preprocessInto(pre: OpenClipPreprocess, img: Image, out: Float32Array, offset = 0): void {
  const [th, tw] = pre.size;
  if (img.channels !== 3 && img.channels !== 1)
    throw new CladeError(`expected a 1- or 3-channel image, got ${img.channels} channels`);
  const src: Image = img.channels === 3 ? img : greyToRgb(img);
  const scale = pre.std.map((s) => 1 / s);
  const bias = pre.mean.map((m, c) => -m / pre.std[c]);
  const g = evalGeometry(pre, img.height, img.width);
  const [rh, rw] = g.resize;
  const outH = Math.min(th, rh);
  const outW = Math.min(tw, rw);
  const spec: ResampleSpec = {
    top: 0,
    left: 0,
    height: img.height,
    width: img.width,
    resizeHeight: rh,
    resizeWidth: rw,
    cropTop: g.crop[0],
    cropLeft: g.crop[1],
    outHeight: outH,
    outWidth: outW,
    interpolation: pre.interpolation,
    antialias: true,
    scale,
    bias,
  };
  if (outH === th && outW === tw) {
    resamplePil8Into(src, spec, out, offset);
    return;
  }
  // Padded ('longest'): resample the resized image, then place it on a fill-colour canvas.
  const inner = new Float32Array(3 * outH * outW);
  resamplePil8Into(src, spec, inner, 0);
  for (let c = 0; c < 3; c++) {
    const fill = (pre.fillColor / 255) * scale[c] + bias[c];
    out.fill(fill, offset + c * th * tw, offset + (c + 1) * th * tw);
    for (let y = 0; y < outH; y++) {
      const o = offset + (c * th + y + g.pad[0]) * tw + g.pad[1];
      out.set(inner.subarray((c * outH + y) * outW, (c * outH + y + 1) * outW), o);
    }
  }
}

function greyToRgb(img: Image): Image {
  const n = img.width * img.height;
  const data = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = img.data[i];
  return { data, width: img.width, height: img.height, channels: 3 };
}

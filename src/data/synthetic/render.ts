import type { Rng } from '../../util/rng.ts';
import type { Image } from '../types.ts';
import type { Habitat, SpeciesSpec } from './species.ts';

/** Within-species variant factors; each changes the image the same way whatever the species. */
export interface OrganismVariants {
  /** `juvenile`: body ×0.72 and all body/pattern colours blended 40% toward white. */
  readonly stage: 'adult' | 'juvenile';
  /** `male`: a crest of fixed colour `CREST_RGB` on top of the body; `female`: none. */
  readonly sex: 'female' | 'male';
}

/** Per-image nuisance: pose, lighting and sensor noise; drawn from the sample's Rng. */
export interface Nuisance {
  readonly dx: number; // centre offset, fraction of the image size (±0.06)
  readonly dy: number;
  readonly angle: number; // radians (±0.17)
  readonly scale: number; // ×[0.92, 1.08]
  readonly light: number; // background brightness offset (±15)
  readonly noise: number; // uniform pixel noise amplitude (default 6)
}

export const BEAK_RGB = [30, 20, 15] as const;
export const CREST_RGB = [250, 220, 90] as const;
const JUVENILE_SCALE = 0.72;
const JUVENILE_PALE = 0.4;

export function drawNuisance(rng: Rng, noise = 6): Nuisance {
  return {
    dx: rng.uniform(-0.06, 0.06),
    dy: rng.uniform(-0.06, 0.06),
    angle: rng.uniform(-0.17, 0.17),
    scale: rng.uniform(0.92, 1.08),
    light: rng.uniform(-15, 15),
    noise,
  };
}

/**
 * Renders one organism as an S×S RGB image (HWC). Body shape, pattern, hue come from the species; the body
 * faces right, with a dark beak of length ∝ `beak` (0..1) on its right side.
 *
 * @example
 * const img = renderOrganism(spec, { stage: 'adult', sex: 'male' }, 0.5, drawNuisance(rng), rng, 32);
 */
export function renderOrganism(
  spec: SpeciesSpec,
  variants: OrganismVariants,
  beak: number,
  nz: Nuisance,
  rng: Rng,
  size = 32,
): Image {
  const S = size;
  const data = new Uint8Array(S * S * 3); /* [H, W, 3] */
  const juvenile = variants.stage === 'juvenile';
  const r = 0.27 * S * nz.scale * (juvenile ? JUVENILE_SCALE : 1);
  const a = r * Math.sqrt(spec.aspect); // half-width
  const b = r / Math.sqrt(spec.aspect); // half-height
  const cx = S * (0.44 + nz.dx);
  const cy = S * (0.52 + nz.dy);
  const cos = Math.cos(nz.angle);
  const sin = Math.sin(nz.angle);
  const p = spec.shapePower;
  const pale = juvenile ? JUVENILE_PALE : 0;
  const body = blend(hsl(spec.hue, 0.75, 0.5), pale);
  const patt = blend(hsl(spec.hue + spec.patternHueShift, 0.7, 0.42), pale + (juvenile ? 0.2 : 0));
  const beakLen = (0.1 + 0.6 * Math.min(1, Math.max(0, beak))) * r;
  const beakH = 0.3 * b;
  const crestH = 0.45 * b;
  const crestW = 0.35 * a;
  const male = variants.sex === 'male';
  const per = (spec.period * S) / 32;
  const pc = Math.cos(spec.patternAngle);
  const ps = Math.sin(spec.patternAngle);
  const k = (2 * Math.PI) / per;
  const bg = background(spec.habitat);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const px = x + 0.5 - cx;
      const py = y + 0.5 - cy;
      const u = cos * px + sin * py; // body frame: u to the right, v down
      const v = -sin * px + cos * py;
      const au = Math.abs(u / a);
      const av = Math.abs(v / b);
      const f = p === 2 ? au * au + av * av : p === 4 ? au ** 4 + av ** 4 : au + av;
      let R: number, G: number, B: number;
      if (f <= 1) {
        let on: boolean;
        if (spec.pattern === 'stripes') on = Math.sin(k * (u * pc + v * ps)) > 0.2;
        else {
          const su = (u * pc + v * ps) / per;
          const sv = (-u * ps + v * pc) / per;
          const du = su - Math.round(su);
          const dv = sv - Math.round(sv);
          on = du * du + dv * dv < 0.09;
        }
        [R, G, B] = on ? patt : body;
      } else if (
        u > 0.8 * a &&
        u < a + beakLen &&
        Math.abs(v) < beakH * (1 - (u - 0.8 * a) / (0.2 * a + beakLen))
      ) {
        [R, G, B] = BEAK_RGB;
      } else if (
        male &&
        v < -0.8 * b &&
        v > -b - crestH &&
        Math.abs(u) < crestW * ((v + b + crestH) / (crestH + 0.2 * b))
      ) {
        [R, G, B] = CREST_RGB;
      } else {
        const t = bg.texture(x, y, S) + nz.light;
        R = bg.rgb[0] + t;
        G = bg.rgb[1] + t;
        B = bg.rgb[2] + t;
      }
      const o = (y * S + x) * 3;
      if (nz.noise > 0) {
        const n = nz.noise;
        R += (rng.float() * 2 - 1) * n;
        G += (rng.float() * 2 - 1) * n;
        B += (rng.float() * 2 - 1) * n;
      }
      data[o] = clamp(R);
      data[o + 1] = clamp(G);
      data[o + 2] = clamp(B);
    }
  }
  return { data, width: S, height: S, channels: 3 };
}

/** Habitat backgrounds: aquatic = blue-grey with waves; terrestrial = sand with speckles; arboreal = green bands. */
function background(h: Habitat): {
  rgb: readonly [number, number, number];
  texture: (x: number, y: number, S: number) => number;
} {
  switch (h) {
    case 'aquatic':
      return {
        rgb: [116, 124, 136],
        texture: (x, y, S) =>
          14 * Math.sin((2 * Math.PI * y * 32) / (6 * S) + 2 * Math.sin((x * 32) / (2 * S))),
      };
    case 'terrestrial':
      return {
        rgb: [132, 126, 116],
        texture: (x, y) => ((((x * 73856093) ^ (y * 19349663)) >>> 0) % 29) - 14,
      };
    default:
      return {
        rgb: [118, 132, 118],
        texture: (x, y, S) => 14 * Math.sin((2 * Math.PI * x * 32) / (5 * S) + (y * 32) / (7 * S)),
      };
  }
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

function blend(c: [number, number, number], t: number): [number, number, number] {
  return [c[0] + (255 - c[0]) * t, c[1] + (255 - c[1]) * t, c[2] + (255 - c[2]) * t];
}

/** HSL (degrees, 0..1, 0..1) to RGB 0..255. */
export function hsl(h: number, s: number, l: number): [number, number, number] {
  const hh = (((h % 360) + 360) % 360) / 60;
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs((hh % 2) - 1));
  const m = l - c / 2;
  const [r, g, b] =
    hh < 1
      ? [c, x, 0]
      : hh < 2
        ? [x, c, 0]
        : hh < 3
          ? [0, c, x]
          : hh < 4
            ? [0, x, c]
            : hh < 5
              ? [x, 0, c]
              : [c, 0, x];
  return [(r + m) * 255, (g + m) * 255, (b + m) * 255];
}

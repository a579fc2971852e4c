import { CladeError } from '../util/errors.ts';

/**
 * Radius (generality) of a unit embedding around the root (Alper & Averbuch-Elor, ECCV 2024, methods §C.2):
 * `d(t) = ‖e(t) − r‖₂`, where the root `r = e("")` is the normalised embedding of the empty string. Smaller radius =
 * more generic. Inputs are used as given (normalise them first).
 *
 * @example
 * radius(eBird, root); // 0.61
 */
export function radius(e: ArrayLike<number>, root: ArrayLike<number>): number {
  if (e.length !== root.length)
    throw new CladeError(`embedding dimension ${e.length} differs from root dimension ${root.length}`);
  let s = 0;
  for (let j = 0; j < e.length; j++) s += (e[j] - root[j]) ** 2;
  return Math.sqrt(s);
}

/**
 * Exterior angle `Ξ_r(u, v) = arccos(clip(⟨u − r, v − u⟩ / (‖u − r‖‖v − u‖), −1, 1))` in radians (methods §C.2):
 * the angle at the parent `u` between the extension of the ray `r → u` and the segment `u → v`. Small = `v` is
 * entailed by `u`. Degenerate segments (zero length) give NaN, as the reference code would.
 *
 * @example
 * exteriorAngle(root, eAnimal, eGoat); // 0.35
 */
export function exteriorAngle(root: ArrayLike<number>, u: ArrayLike<number>, v: ArrayLike<number>): number {
  const d = root.length;
  if (u.length !== d || v.length !== d)
    throw new CladeError('exterior angle needs vectors of equal dimension');
  let dot = 0;
  let a = 0;
  let b = 0;
  for (let j = 0; j < d; j++) {
    const x = u[j] - root[j];
    const y = v[j] - u[j];
    dot += x * y;
    a += x * x;
    b += y * y;
  }
  const c = dot / (Math.sqrt(a) * Math.sqrt(b));
  return Math.acos(Math.min(1, Math.max(-1, c)));
}

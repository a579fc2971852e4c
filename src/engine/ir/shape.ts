import type { Shape } from './ops.ts';

export const size = (s: Shape): number => s.reduce((a, b) => a * b, 1);
export const sameShape = (a: Shape, b: Shape): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);
export const fmt = (s: Shape): string => `[${s.join(', ')}]`;

/** Numpy broadcast of two shapes, or null when incompatible. */
export function broadcastShapes(a: Shape, b: Shape): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out[i] = x === 1 ? y : x;
  }
  return out;
}

/** Normalise a possibly negative axis against a rank. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Row-major strides. */
export function strides(s: Shape): number[] {
  const st = new Array(s.length);
  let acc = 1;
  for (let i = s.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

/** Resolve a reshape target that may contain one -1. */
export function resolveReshape(from: Shape, to: Shape): number[] {
  const total = size(from);
  const known = to.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const holes = to.filter((d) => d === -1).length;
  if (holes > 1) throw new Error(`reshape target ${fmt(to)} has more than one -1`);
  const out = to.map((d) => (d === -1 ? total / known : d));
  if (size(out) !== total || out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`cannot reshape ${fmt(from)} (${total} elements) to ${fmt(to)}`);
  }
  return out;
}

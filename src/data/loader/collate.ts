import { CladeError } from '../../util/errors.ts';
import type { Batch, Item } from './loader-types.ts';

/**
 * Stacks items into one batch (views [B, C, H, W] per view, labels [B], tokens [B, T], tabular [B, F] per view).
 * Every item must carry the same fields with the same shapes.
 *
 * @example
 * const batch = collate(items, { epoch: 0, step: 0, indices });
 */
export function collate(
  items: readonly Item[],
  meta: { epoch: number; step: number; indices: Int32Array },
  /** Batch buffers the items' views may already have been written into (see `ItemContext`). */
  viewBuffers: readonly (Float32Array | undefined)[] = [],
): Batch {
  const B = items.length;
  if (B === 0) throw new CladeError('cannot collate an empty batch');
  const first = items[0];
  const mismatch = (i: number, what: string) =>
    new CladeError(`item differs from the first item of the batch in ${what}`, {
      sample: meta.indices[i],
      field: what,
    });

  let views: Float32Array[] = [];
  let viewShape: [number, number, number] | null = null;
  if (first.views && first.views.length) {
    const v0 = first.views[0];
    viewShape = [v0.channels, v0.height, v0.width];
    const n = v0.channels * v0.height * v0.width;
    views = first.views.map((_, k) => {
      const b = viewBuffers[k];
      return b && b.length === B * n ? b : new Float32Array(B * n);
    });
    items.forEach((it, i) => {
      if (!it.views || it.views.length !== views.length) throw mismatch(i, 'views');
      it.views.forEach((v, k) => {
        if (v.data.length !== n || v.channels !== viewShape![0] || v.height !== viewShape![1])
          throw mismatch(i, `views[${k}] shape`);
        const inPlace =
          v.data.buffer === views[k].buffer && v.data.byteOffset === views[k].byteOffset + i * n * 4;
        if (!inPlace) views[k].set(v.data, i * n);
      });
    });
  }

  const hasLabel = items.some((it) => it.label !== undefined);
  const labels = hasLabel ? Int32Array.from(items, (it) => it.label ?? -1) : null;
  const captions = items.some((it) => it.captions) ? items.map((it) => it.captions ?? []) : null;

  let tokens: Int32Array | null = null;
  if (first.tokens) {
    const T = first.tokens.length;
    tokens = new Int32Array(B * T);
    items.forEach((it, i) => {
      if (!it.tokens || it.tokens.length !== T) throw mismatch(i, 'tokens length');
      tokens!.set(it.tokens, i * T);
    });
  }

  let tabular: Float32Array[] | null = null;
  if (first.tabular && first.tabular.length) {
    const F = first.tabular[0].length;
    tabular = first.tabular.map(() => new Float32Array(B * F));
    items.forEach((it, i) => {
      if (!it.tabular || it.tabular.length !== tabular!.length) throw mismatch(i, 'tabular views');
      it.tabular.forEach((t, k) => {
        if (t.length !== F) throw mismatch(i, `tabular[${k}] length`);
        tabular![k].set(t, i * F);
      });
    });
  }
  return { ...meta, views, viewShape, labels, captions, tokens, tabular };
}

/** The buffers a batch can hand to another thread without copying. */
export function transferables(b: Batch): ArrayBuffer[] {
  const out: ArrayBuffer[] = [b.indices.buffer as ArrayBuffer];
  for (const v of b.views) out.push(v.buffer as ArrayBuffer);
  if (b.labels) out.push(b.labels.buffer as ArrayBuffer);
  if (b.tokens) out.push(b.tokens.buffer as ArrayBuffer);
  for (const t of b.tabular ?? []) out.push(t.buffer as ArrayBuffer);
  return out;
}

import type { ExplorerManifest } from '../../src/explore/format.ts';
import { KEY_SEP } from '../../src/explore/format.ts';
import { categoricalColors } from './colors.ts';
import type { TextNodes } from './model.ts';

/**
 * The Radial Embedding view of the taxonomy texts: each node's radius is its distance from the root (empty-text)
 * embedding, measured in the embedding space; its angle comes from the taxonomy (leaves in lineage order, parents
 * at the mean angle of their children). Right: radius against taxonomic depth, with the mean per depth.
 */
export function drawRadial(host: HTMLElement, t: TextNodes, m: ExplorerManifest): void {
  host.innerHTML = '';
  const d = m.d;
  const M = t.depth.length;
  const root = t.embeddings.subarray(0, d);
  const radius = new Float64Array(M);
  for (let i = 1; i < M; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const v = t.embeddings[i * d + j] - root[j];
      s += v * v;
    }
    radius[i] = Math.sqrt(s);
  }
  // Angles: leaves (deepest nodes) in key order around the circle; parents at the mean of their descendants.
  const order = Array.from({ length: M - 1 }, (_, k) => k + 1).sort((a, b) => (t.key[a] < t.key[b] ? -1 : 1));
  const maxDepth = Math.max(...Array.from(t.depth));
  const leaves = order.filter((i) => t.depth[i] === maxDepth);
  const angle = new Float64Array(M);
  leaves.forEach((i, k) => (angle[i] = (2 * Math.PI * k) / leaves.length));
  for (let depth = maxDepth - 1; depth >= 0; depth--)
    for (const i of order)
      if (t.depth[i] === depth) {
        const kids = leaves.filter((j) => t.key[j].startsWith(t.key[i] + KEY_SEP));
        angle[i] = kids.length ? kids.reduce((s, j) => s + angle[j], 0) / kids.length : 0;
      }
  const top = [...new Set(order.filter((i) => t.depth[i] === 0).map((i) => t.key[i]))];
  const palette = categoricalColors(top.length);
  const colorOf = (i: number) =>
    palette[
      Math.max(
        0,
        top.findIndex((k) => t.key[i] === k || t.key[i].startsWith(k + KEY_SEP)),
      )
    ];
  const parentOf = (i: number) => {
    const k = t.key[i];
    const p = k.slice(0, k.lastIndexOf(KEY_SEP));
    return t.depth[i] === 0 ? 0 : (order.find((j) => t.key[j] === p) ?? 0);
  };

  const W = Math.max(600, host.clientWidth || 900);
  const H = 520;
  const c = document.createElement('canvas');
  c.id = 'radial-canvas';
  c.width = W;
  c.height = H;
  host.append(c);
  const g = c.getContext('2d')!;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, W, H);
  const rMax = Math.max(...radius) || 1;
  const cx = H / 2 + 10,
    cy = H / 2,
    R = H / 2 - 30;
  const pos = (i: number) =>
    i === 0
      ? [cx, cy]
      : [
          cx + ((R * radius[i]) / rMax) * Math.cos(angle[i]),
          cy + ((R * radius[i]) / rMax) * Math.sin(angle[i]),
        ];
  g.strokeStyle = '#ddd';
  for (let k = 1; k <= 4; k++) {
    g.beginPath();
    g.arc(cx, cy, (R * k) / 4, 0, 2 * Math.PI);
    g.stroke();
  }
  g.globalAlpha = 0.35;
  for (let i = 1; i < M; i++) {
    const [x0, y0] = pos(parentOf(i));
    const [x1, y1] = pos(i);
    g.strokeStyle = colorOf(i);
    g.beginPath();
    g.moveTo(x0, y0);
    g.lineTo(x1, y1);
    g.stroke();
  }
  g.globalAlpha = 1;
  for (let i = 1; i < M; i++) {
    const [x, y] = pos(i);
    g.fillStyle = colorOf(i);
    g.beginPath();
    g.arc(x, y, 1.5 + (1.5 * (maxDepth - t.depth[i] + 1)) / (maxDepth + 1), 0, 2 * Math.PI);
    g.fill();
  }
  g.fillStyle = '#000';
  g.beginPath();
  g.arc(cx, cy, 4, 0, 2 * Math.PI);
  g.fill();
  g.font = '12px sans-serif';
  g.fillText('root (empty text)', cx + 6, cy - 6);

  // Radius vs depth.
  const x0 = H + 60,
    x1 = W - 20,
    y0 = H - 40,
    y1 = 30;
  g.strokeStyle = '#888';
  g.beginPath();
  g.moveTo(x0, y1);
  g.lineTo(x0, y0);
  g.lineTo(x1, y0);
  g.stroke();
  const ranks = m.ranks.length ? m.ranks : Array.from({ length: maxDepth + 1 }, (_, r) => `depth ${r}`);
  const px = (depth: number) => x0 + ((depth + 0.5) / (maxDepth + 1)) * (x1 - x0);
  const py = (r: number) => y0 - (r / rMax) * (y0 - y1);
  g.fillStyle = '#333';
  g.textAlign = 'center';
  ranks.forEach((name, r) => r <= maxDepth && g.fillText(name, px(r), y0 + 16));
  g.fillText('taxonomic depth', (x0 + x1) / 2, y0 + 32);
  g.save();
  g.translate(x0 - 36, (y0 + y1) / 2);
  g.rotate(-Math.PI / 2);
  g.fillText('radius ‖e − e(root)‖', 0, 0);
  g.restore();
  g.textAlign = 'left';
  const mean: number[] = [];
  for (let depth = 0; depth <= maxDepth; depth++) {
    let s = 0,
      k = 0;
    for (let i = 1; i < M; i++)
      if (t.depth[i] === depth) {
        const jitter = (((i * 2654435761) >>> 0) / 2 ** 32 - 0.5) * 0.5;
        g.fillStyle = colorOf(i);
        g.globalAlpha = 0.6;
        g.fillRect(px(depth + jitter) - 1.5, py(radius[i]) - 1.5, 3, 3);
        s += radius[i];
        k++;
      }
    mean.push(k ? s / k : NaN);
  }
  g.globalAlpha = 1;
  g.strokeStyle = '#000';
  g.lineWidth = 2;
  g.beginPath();
  mean.forEach((r, depth) => (depth ? g.lineTo(px(depth), py(r)) : g.moveTo(px(depth), py(r))));
  g.stroke();
  const cap = document.createElement('p');
  cap.className = 'muted small';
  cap.id = 'radial-caption';
  cap.textContent = `${M - 1} taxonomy texts (BioCLIP 2 taxon text type). Mean radius by depth: ${mean.map((r, i) => `${ranks[i]} ${r.toFixed(3)}`).join(', ')}.`;
  host.append(cap);
}

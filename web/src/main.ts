import createScatterplot from 'regl-scatterplot';
import type { CladeResult } from '../../src/report/result-schema.ts';
import type { ExplorerManifest } from '../../src/explore/format.ts';
import { KEY_SEP, thumbnailPath } from '../../src/explore/format.ts';
import { cosineTopK, normalized, type Neighbour } from '../../src/browser/neighbours.ts';
import { ImageTower, decodeImage } from '../../src/browser/image-tower.ts';
import { zeroShotByRank } from '../../src/browser/zero-shot.ts';
import type { RankScore } from '../../src/analysis/rank-aggregation.ts';
import { categoricalColors, numericColors } from './colors.ts';
import { loadBytes, loadData } from './data.ts';
import { loadEmbeddings, loadManifest, loadPoints, loadText, type Points, type TextNodes } from './model.ts';
import { drawRadial } from './radial.ts';
import { renderResults } from './results.ts';
import './style.css';

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text = '') => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
};
const fmt = (x: number) => x.toLocaleString('en');

/** The page's state, also exposed as `window.explorer` (a programmatic selection API). */
interface State {
  projection: string;
  colorBy: string;
  search: string;
  filterRank: string;
  filterValue: string;
  visible: Int32Array | null; /* null: all */
  selection: number[];
  focus: number;
  neighbours: Neighbour[];
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const app = document.getElementById('app')!;
  const m = await loadManifest();
  const pts = await loadPoints(m);
  document.title = `${m.title} — clade explorer`;
  app.innerHTML = '';

  const side = el('aside');
  const mainArea = el('main');
  const tabs = el('nav', { class: 'tabs' });
  const views: Record<string, HTMLElement> = {
    scatter: el('section', { id: 'view-scatter', class: 'view' }),
    radial: el('section', { id: 'view-radial', class: 'view' }),
    results: el('section', { id: 'view-results', class: 'view' }),
  };
  mainArea.append(tabs, ...Object.values(views));
  app.append(side, mainArea);

  const state: State = {
    projection: m.projections[0].name,
    colorBy: m.ranks.length ? m.ranks[m.ranks.length - 1] : (m.columns[0]?.name ?? ''),
    search: '',
    filterRank: m.ranks[0] ?? m.columns.find((c) => c.kind === 'categorical')?.name ?? '',
    filterValue: '',
    visible: null,
    selection: [],
    focus: -1,
    neighbours: [],
  };

  // ---- side panel
  side.append(el('h1', {}, m.title), el('p', { class: 'muted', id: 'count' }));
  const row = (label: string, control: HTMLElement) => {
    const d = el('label', { class: 'row' });
    d.append(el('span', {}, label), control);
    side.append(d);
    return control;
  };
  const select = (options: string[], value: string, id: string) => {
    const s = el('select', { id });
    for (const o of options) s.append(el('option', { value: o }, o));
    s.value = value;
    return s;
  };
  const projSel = row(
    'Projection',
    select(
      m.projections.map((p) => p.name),
      state.projection,
      'projection',
    ),
  ) as HTMLSelectElement;
  projSel.title = m.projections.map((p) => `${p.name}: ${p.method}`).join('\n');
  const colorSel = row(
    'Colour by',
    select(
      m.columns.map((c) => c.name),
      state.colorBy,
      'color-by',
    ),
  ) as HTMLSelectElement;
  let rankSlider: HTMLInputElement | null = null;
  const rankLabel = el('span', { id: 'rank-label' });
  if (m.ranks.length > 1) {
    rankSlider = el('input', {
      type: 'range',
      min: '0',
      max: String(m.ranks.length - 1),
      step: '1',
      id: 'rank-slider',
    });
    rankSlider.value = String(Math.max(0, m.ranks.indexOf(state.colorBy)));
    const r = row('Rank', rankSlider);
    r.parentElement!.append(rankLabel);
  }
  const search = row(
    'Search',
    el('input', { type: 'search', id: 'search', placeholder: 'id or any value' }),
  ) as HTMLInputElement;
  const catCols = m.columns.filter((c) => c.kind === 'categorical').map((c) => c.name);
  const filterRankSel = row('Filter', select(catCols, state.filterRank, 'filter-rank')) as HTMLSelectElement;
  const filterValueSel = row('is', select([], '', 'filter-value')) as HTMLSelectElement;
  const fillFilterValues = () => {
    filterValueSel.innerHTML = '';
    filterValueSel.append(el('option', { value: '' }, '(any)'));
    const c = pts.columns[state.filterRank];
    if (c?.kind === 'categorical')
      for (const name of c.names) filterValueSel.append(el('option', { value: name }, name));
    filterValueSel.value = state.filterValue;
  };
  fillFilterValues();

  const selBox = el('div', { class: 'box', id: 'selection' });
  const nbBox = el('div', { class: 'box', id: 'neighbours' });
  const dropBox = el('div', { class: 'box', id: 'drop' });
  side.append(selBox, nbBox, dropBox);
  const notes = el('div', { class: 'muted small' });
  for (const note of m.notes) notes.append(el('p', {}, note));
  side.append(notes);

  // ---- scatter
  const canvasWrap = el('div', { class: 'canvas-wrap' });
  const canvas = el('canvas', { id: 'scatter' });
  const tooltip = el('div', { class: 'tooltip', id: 'tooltip' });
  const legend = el('div', { class: 'legend', id: 'legend' });
  const marker = el('div', { class: 'marker', id: 'drop-marker' });
  marker.hidden = true;
  canvasWrap.append(canvas, tooltip, legend, marker);
  views.scatter.append(canvasWrap);
  const size = () => canvasWrap.getBoundingClientRect();
  const { width, height } = size();
  const scatter = createScatterplot({
    canvas,
    width,
    height,
    pointSize: m.n > 100_000 ? 2 : m.n > 10_000 ? 3 : 5,
    pointSizeSelected: m.n > 100_000 ? 3 : 6,
    opacity: m.n > 100_000 ? 0.6 : 0.9,
    colorBy: 'valueA',
    lassoOnLongPress: true,
    backgroundColor: [1, 1, 1, 1],
  });
  new ResizeObserver(() => {
    const r = size();
    if (r.width > 0 && r.height > 0) scatter.set({ width: r.width, height: r.height });
  }).observe(canvasWrap);

  /** Normalised [-1, 1] coordinates of a projection (aspect kept). */
  const coords = (name: string) => {
    const { x, y } = pts.xy[name];
    let x0 = Infinity,
      x1 = -Infinity,
      y0 = Infinity,
      y1 = -Infinity;
    for (let i = 0; i < pts.n; i++) {
      x0 = Math.min(x0, x[i]);
      x1 = Math.max(x1, x[i]);
      y0 = Math.min(y0, y[i]);
      y1 = Math.max(y1, y[i]);
    }
    const s = 1.8 / Math.max(x1 - x0, y1 - y0, 1e-12);
    const cx = (x0 + x1) / 2,
      cy = (y0 + y1) / 2;
    return { x: Float32Array.from(x, (v) => (v - cx) * s), y: Float32Array.from(y, (v) => (v - cy) * s) };
  };
  const colorValues = (): { values: Float32Array; palette: string[]; categorical: boolean } => {
    const c = pts.columns[state.colorBy];
    if (!c) return { values: new Float32Array(pts.n), palette: categoricalColors(1), categorical: true };
    if (c.kind === 'categorical')
      return {
        values: Float32Array.from(c.codes),
        palette: categoricalColors(c.names.length),
        categorical: true,
      };
    const span = c.max - c.min || 1;
    return {
      values: Float32Array.from(c.values, (v) =>
        Number.isFinite(v) ? Math.min(1, Math.max(0, (v - c.min) / span)) : 0,
      ),
      palette: numericColors(),
      categorical: false,
    };
  };
  let colors: ReturnType<typeof colorValues>;
  const draw = async () => {
    const xy = coords(state.projection);
    colors = colorValues();
    scatter.set({ pointColor: colors.palette });
    await scatter.draw(
      { x: xy.x, y: xy.y, valueA: colors.values },
      {
        zDataType: colors.categorical ? 'categorical' : 'continuous',
        filter: state.visible ? Array.from(state.visible) : undefined,
      },
    );
    if (state.selection.length) scatter.select(state.selection, { preventEvent: true });
    renderLegend();
    placeMarker();
  };

  const renderLegend = () => {
    legend.innerHTML = '';
    const c = pts.columns[state.colorBy];
    if (!c) return;
    legend.append(el('div', { class: 'legend-title' }, state.colorBy));
    if (c.kind === 'numeric') {
      legend.append(el('div', {}, `${c.min.toPrecision(3)} … ${c.max.toPrecision(3)}`));
      return;
    }
    const counts = new Int32Array(c.names.length);
    const vis = state.visible;
    if (vis) for (const i of vis) counts[c.codes[i]]++;
    else for (const k of c.codes) counts[k]++;
    const order = Array.from(counts.keys())
      .filter((k) => counts[k] > 0)
      .sort((a, b) => counts[b] - counts[a]);
    for (const k of order.slice(0, 12)) {
      const r = el('div', { class: 'legend-row' });
      const sw = el('span', { class: 'swatch' });
      sw.style.background = colors.palette[k];
      r.append(sw, el('span', {}, `${c.names[k]} (${fmt(counts[k])})`));
      legend.append(r);
    }
    if (order.length > 12) legend.append(el('div', { class: 'muted' }, `+ ${order.length - 12} more`));
  };

  // ---- filtering
  const idStrings = (() => {
    let cache: string[] | null = null;
    return () => (cache ??= Array.from({ length: pts.n }, (_, i) => String(pts.ids.get(i))));
  })();
  const applyFilter = async () => {
    const q = state.search.trim().toLowerCase();
    const fcol = pts.columns[state.filterRank];
    const fcode =
      fcol?.kind === 'categorical' && state.filterValue ? fcol.names.indexOf(state.filterValue) : -1;
    if (!q && fcode < 0) state.visible = null;
    else {
      const keep = new Uint8Array(pts.n).fill(q ? 0 : 1);
      if (q) {
        const ids = idStrings();
        for (let i = 0; i < pts.n; i++) if (ids[i].toLowerCase().includes(q)) keep[i] = 1;
        for (const c of Object.values(pts.columns)) {
          if (c.kind !== 'categorical') continue;
          const hit = c.names.map((s) => s.toLowerCase().includes(q));
          if (!hit.some(Boolean)) continue;
          for (let i = 0; i < pts.n; i++) if (hit[c.codes[i]]) keep[i] = 1;
        }
      }
      if (fcode >= 0 && fcol?.kind === 'categorical')
        for (let i = 0; i < pts.n; i++) if (fcol.codes[i] !== fcode) keep[i] = 0;
      const idx: number[] = [];
      for (let i = 0; i < pts.n; i++) if (keep[i]) idx.push(i);
      state.visible = Int32Array.from(idx);
    }
    if (state.visible) await scatter.filter(Array.from(state.visible), { preventEvent: true });
    else await scatter.unfilter({ preventEvent: true });
    renderLegend();
    renderCount();
  };
  const renderCount = () => {
    const shown = state.visible ? state.visible.length : pts.n;
    document.getElementById('count')!.textContent =
      `showing ${fmt(shown)} of ${fmt(pts.n)} points · ${m.d}-d embeddings`;
    document.getElementById('count')!.dataset.visible = String(shown);
  };

  // ---- tooltip, selection, neighbours
  const describe = (i: number) => {
    const parts = [String(pts.ids.get(i))];
    for (const name of m.ranks.length ? m.ranks : Object.keys(pts.columns).slice(0, 4)) {
      const c = pts.columns[name];
      if (c?.kind === 'categorical') parts.push(`${name}: ${c.names[c.codes[i]]}`);
    }
    return parts;
  };
  let mouse = { x: 0, y: 0 };
  canvasWrap.addEventListener('mousemove', (e) => {
    const r = canvasWrap.getBoundingClientRect();
    mouse = { x: e.clientX - r.left, y: e.clientY - r.top };
  });
  scatter.subscribe('pointover' as 'pointOver', (i: number) => {
    tooltip.innerHTML = '';
    if (m.thumbnails) tooltip.append(el('img', { src: thumbnailPath(i, m.thumbnails.ext), alt: '' }));
    for (const p of describe(i)) tooltip.append(el('div', {}, p));
    tooltip.style.left = `${mouse.x + 14}px`;
    tooltip.style.top = `${mouse.y + 14}px`;
    tooltip.hidden = false;
  });
  scatter.subscribe('pointout' as 'pointOut', () => (tooltip.hidden = true));
  tooltip.hidden = true;

  const renderSelection = () => {
    selBox.innerHTML = '';
    selBox.append(el('h2', {}, 'Selection'));
    if (!state.selection.length) {
      selBox.append(
        el(
          'p',
          { class: 'muted small' },
          'Click a point for its neighbours; long-press then drag (or shift-drag) to lasso.',
        ),
      );
      return;
    }
    selBox.append(el('p', { id: 'selection-count' }, `${fmt(state.selection.length)} selected`));
    const exp = el('button', { id: 'export-csv' }, 'Export CSV');
    exp.onclick = () => exportCsv(state.selection);
    const clr = el('button', {}, 'Clear');
    clr.onclick = () => {
      state.selection = [];
      state.focus = -1;
      state.neighbours = [];
      scatter.deselect({ preventEvent: true });
      renderSelection();
      renderNeighbours();
    };
    selBox.append(exp, clr);
  };
  const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const exportCsv = (idx: number[]) => {
    const cols = Object.keys(pts.columns);
    const lines = [['id', ...cols].map(csvCell).join(',')];
    for (const i of idx)
      lines.push(
        [
          String(pts.ids.get(i)),
          ...cols.map((k) => {
            const c = pts.columns[k];
            return c.kind === 'categorical' ? c.names[c.codes[i]] : String(c.values[i]);
          }),
        ]
          .map(csvCell)
          .join(','),
      );
    const a = el('a', { download: 'selection.csv' });
    a.href = URL.createObjectURL(new Blob([lines.join('\n') + '\n'], { type: 'text/csv' }));
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };

  const neighboursOf = async (i: number, k = 10) => {
    const z = await loadEmbeddings(m);
    return cosineTopK(z, m.d, z.subarray(i * m.d, (i + 1) * m.d), k, i);
  };
  const renderNeighbours = () => {
    nbBox.innerHTML = '';
    if (state.focus < 0) return;
    nbBox.append(el('h2', {}, `Nearest to ${pts.ids.get(state.focus)}`));
    const ol = el('ol', { id: 'neighbour-list' });
    for (const nb of state.neighbours) {
      const li = el('li', { 'data-index': String(nb.index) });
      li.append(
        el('span', {}, describe(nb.index).slice(0, 1).concat(describe(nb.index).slice(-1)).join(' · ')),
        el('span', { class: 'muted' }, ` ${nb.similarity.toFixed(3)}`),
      );
      ol.append(li);
    }
    nbBox.append(ol);
  };
  const focusPoint = async (i: number) => {
    state.focus = i;
    nbBox.innerHTML = '<p class="muted">computing neighbours…</p>';
    state.neighbours = await neighboursOf(i);
    state.selection = [i, ...state.neighbours.map((n) => n.index)];
    scatter.select(state.selection, { preventEvent: true });
    renderNeighbours();
    renderSelection();
  };
  scatter.subscribe('select', ({ points }: { points: number[] }) => {
    if (points.length === 1) void focusPoint(points[0]);
    else {
      state.selection = [...points];
      state.focus = -1;
      state.neighbours = [];
      renderNeighbours();
      renderSelection();
    }
  });
  scatter.subscribe('deselect', () => {
    state.selection = [];
    renderSelection();
  });

  // ---- dropped image
  let tower: Promise<ImageTower> | null = null;
  let placed: Neighbour[] = [];
  const placeMarker = () => {
    if (!placed.length) return void (marker.hidden = true);
    let sx = 0,
      sy = 0,
      sw = 0;
    for (const nb of placed) {
      const p = scatter.getScreenPosition(nb.index);
      if (!p) continue;
      const w = Math.max(nb.similarity, 1e-6);
      sx += w * p[0];
      sy += w * p[1];
      sw += w;
    }
    if (!sw) return void (marker.hidden = true);
    marker.style.left = `${sx / sw}px`;
    marker.style.top = `${sy / sw}px`;
    marker.hidden = false;
  };
  scatter.subscribe('view', placeMarker);
  const renderDrop = (msg?: string) => {
    dropBox.innerHTML = '';
    dropBox.append(el('h2', {}, 'Embed an image'));
    if (!m.model) {
      dropBox.append(
        el(
          'p',
          { class: 'muted small' },
          'No image tower in this folder (clade explore --model DIR adds one).',
        ),
      );
      return;
    }
    const input = el('input', { type: 'file', accept: 'image/*', id: 'image-input' });
    input.onchange = () => input.files?.[0] && void embedFile(input.files[0]);
    dropBox.append(
      el(
        'p',
        { class: 'muted small' },
        `Drop an image on the page or choose one: ${m.model.name}'s image tower runs here (onnxruntime-web).`,
      ),
      input,
    );
    if (msg) dropBox.append(el('p', { class: 'small' }, msg));
  };
  const embedFile = async (file: Blob) => {
    if (!m.model) throw new Error('this explorer has no image tower');
    renderDrop('embedding…');
    tower ??= (async () =>
      ImageTower.create(await loadBytes('model'), await loadBytes('ort-wasm'), m.model!))();
    const t = await tower;
    const e = await t.embed(await decodeImage(file));
    const q = normalized(e);
    const z = await loadEmbeddings(m);
    placed = cosineTopK(z, m.d, q, 10);
    let labels: RankScore[][] = [];
    if (m.text) {
      const tx = await text();
      const deepest = Math.max(...tx.depth);
      const rows: number[] = [];
      tx.depth.forEach((d, r) => d === deepest && rows.push(r));
      const W = new Float32Array(rows.length * m.d);
      rows.forEach((r, k) => W.set(tx.embeddings.subarray(r * m.d, (r + 1) * m.d), k * m.d));
      labels = zeroShotByRank(
        q,
        W,
        m.d,
        rows.map((r) => tx.key[r].split(KEY_SEP)),
        m.text.logitScale,
      );
    }
    renderDrop();
    const out = el('div', { id: 'drop-result' });
    if (labels.length) {
      const tbl = el('table', { class: 'small' });
      labels.forEach((ls, r) => {
        const tr = el('tr');
        tr.append(
          el('th', {}, m.ranks[r] ?? `rank ${r}`),
          el(
            'td',
            {},
            ls.map((l) => `${l.lineage[l.lineage.length - 1]} ${(100 * l.score).toFixed(0)}%`).join(', '),
          ),
        );
        tbl.append(tr);
      });
      out.append(el('h3', {}, 'Zero-shot by rank'), tbl);
    }
    const ol = el('ol', { id: 'drop-neighbours' });
    for (const nb of placed)
      ol.append(
        el(
          'li',
          { 'data-index': String(nb.index) },
          `${describe(nb.index).slice(0, 2).join(' · ')} ${nb.similarity.toFixed(3)}`,
        ),
      );
    out.append(el('h3', {}, 'Nearest points'), ol);
    dropBox.append(out);
    state.selection = placed.map((p) => p.index);
    scatter.select(state.selection, { preventEvent: true });
    renderSelection();
    placeMarker();
    lastEmbedding = e;
    return e;
  };
  let lastEmbedding: Float32Array | null = null;
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    const f = e.dataTransfer?.files?.[0];
    if (f) void embedFile(f);
  });

  // ---- radial and results
  let textPromise: Promise<TextNodes> | null = null;
  const text = () => (textPromise ??= loadText());
  const tabNames: [string, string][] = [['scatter', 'Scatter']];
  if (m.text) tabNames.push(['radial', 'Radial']);
  tabNames.push(['results', `Results (${m.results})`]);
  const show = async (name: string) => {
    for (const [k, v] of Object.entries(views)) v.hidden = k !== name;
    for (const b of Array.from(tabs.querySelectorAll('button')))
      b.classList.toggle('active', b.dataset.view === name);
    if (name === 'radial') drawRadial(views.radial, await text(), m);
    if (name === 'results' && !views.results.childElementCount)
      renderResults(views.results, await loadData<CladeResult[]>('results'));
  };
  for (const [k, label] of tabNames) {
    const b = el('button', { 'data-view': k, id: `tab-${k}` }, label);
    b.onclick = () => void show(k);
    tabs.append(b);
  }

  // ---- wiring
  const setColor = async (name: string) => {
    state.colorBy = name;
    colorSel.value = name;
    if (rankSlider) {
      const r = m.ranks.indexOf(name);
      if (r >= 0) rankSlider.value = String(r);
      rankLabel.textContent = r >= 0 ? name : '';
    }
    colors = colorValues();
    scatter.set({ pointColor: colors.palette });
    const xy = coords(state.projection);
    await scatter.draw(
      { x: xy.x, y: xy.y, valueA: colors.values },
      { zDataType: colors.categorical ? 'categorical' : 'continuous', preventFilterReset: true },
    );
    renderLegend();
  };
  projSel.onchange = async () => {
    state.projection = projSel.value;
    await draw();
    if (state.visible) await scatter.filter(Array.from(state.visible), { preventEvent: true });
  };
  colorSel.onchange = () => void setColor(colorSel.value);
  if (rankSlider) rankSlider.oninput = () => void setColor(m.ranks[Number(rankSlider!.value)]);
  let searchTimer = 0;
  search.oninput = () => {
    clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => {
      state.search = search.value;
      void applyFilter();
    }, 150);
  };
  filterRankSel.onchange = () => {
    state.filterRank = filterRankSel.value;
    state.filterValue = '';
    fillFilterValues();
    void applyFilter();
  };
  filterValueSel.onchange = () => {
    state.filterValue = filterValueSel.value;
    void applyFilter();
  };

  await draw();
  rankLabel.textContent = m.ranks.includes(state.colorBy) ? state.colorBy : '';
  renderCount();
  renderSelection();
  renderDrop();
  await show('scatter');
  const openMs = performance.now() - t0;

  // Programmatic API (also what the tests drive).
  const api = {
    manifest: m,
    openMs,
    state: () => ({ ...state, visible: state.visible ? state.visible.length : pts.n }),
    ids: (idx: number[]) => idx.map((i) => String(pts.ids.get(i))),
    indexOf: (id: string) => idStrings().indexOf(id),
    select: (idx: number[]) => {
      state.selection = [...idx];
      scatter.select(idx, { preventEvent: true });
      renderSelection();
    },
    selection: () => [...state.selection],
    visible: () => (state.visible ? Array.from(state.visible) : null),
    neighbours: async (i: number, k = 10) => (await neighboursOf(i, k)).map((n) => n.index),
    focus: focusPoint,
    setColor,
    search: async (q: string) => {
      search.value = q;
      state.search = q;
      await applyFilter();
    },
    embedFile,
    lastEmbedding: () => (lastEmbedding ? Array.from(lastEmbedding) : null),
    colors: () => ({ palette: colors.palette, values: Array.from(colors.values.subarray(0, 50)) }),
    screenPosition: (i: number) => scatter.getScreenPosition(i),
    /** Time to draw one frame, ms (after a camera change). */
    frame: async () => {
      const t = performance.now();
      scatter.redraw();
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - t;
    },
  };
  (window as unknown as { explorer: typeof api }).explorer = api;
  document.body.dataset.ready = 'true';
}

main().catch((e) => {
  console.error(e);
  const app = document.getElementById('app');
  if (app)
    app.innerHTML = `<p class="error">The explorer could not open: ${String((e as Error).message ?? e)}</p>`;
});

import type { CladeResult } from '../../src/report/result-schema.ts';

const num = (v: unknown) =>
  typeof v === 'number'
    ? Math.abs(v) >= 100
      ? v.toFixed(1)
      : v.toPrecision(3)
    : v === null
      ? '—'
      : JSON.stringify(v);

/** The analysis results of the folder (clade.result/1 documents): metrics tables and per-rank accuracy bars. */
export function renderResults(host: HTMLElement, results: readonly CladeResult[]): void {
  host.innerHTML = '';
  if (!results.length) {
    host.append(
      Object.assign(document.createElement('p'), {
        className: 'muted',
        textContent: 'No result files in this folder.',
      }),
    );
    return;
  }
  for (const r of results) {
    const card = document.createElement('div');
    card.className = 'result';
    card.dataset.kind = r.kind;
    const h = document.createElement('h3');
    h.textContent = `${r.name ?? r.kind}`;
    const kind = document.createElement('span');
    kind.className = 'muted small';
    kind.textContent = ` ${r.kind}`;
    h.append(kind);
    card.append(h);
    const tbl = document.createElement('table');
    for (const [k, v] of Object.entries(r.metrics)) {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.textContent = k;
      const td = document.createElement('td');
      td.textContent =
        typeof v === 'object' && v !== null && !Array.isArray(v)
          ? Object.entries(v)
              .map(([a, b]) => `${a} ${num(b)}`)
              .join(', ')
          : Array.isArray(v)
            ? v.map(num).join(', ')
            : num(v);
      tr.append(th, td);
      tbl.append(tr);
    }
    card.append(tbl);
    const ra = r.series?.rankAccuracy;
    if (ra) {
      const bars = document.createElement('div');
      bars.className = 'bars';
      for (const [method, acc] of Object.entries(ra.accuracy))
        ra.rank.forEach((rank, i) => {
          const row = document.createElement('div');
          row.className = 'bar-row';
          const v = acc[i] ?? 0;
          row.innerHTML = `<span class="bar-label">${method} · ${rank}</span><span class="bar"><span style="width:${(100 * v).toFixed(1)}%"></span></span><span>${(100 * v).toFixed(1)}%</span>`;
          bars.append(row);
        });
      card.append(bars);
    }
    host.append(card);
  }
}

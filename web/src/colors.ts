/** Tableau-10 then golden-angle hues: distinct categorical colours for any number of categories. */
const TAB10 = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

function hsl(h: number, s: number, l: number): string {
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    const a = s * Math.min(l, 1 - l);
    const c = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(255 * c)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}

export function categoricalColors(n: number): string[] {
  return Array.from({ length: Math.max(1, n) }, (_, i) =>
    i < TAB10.length
      ? TAB10[i]
      : hsl((i * 137.508) % 360, 0.55 + 0.2 * ((i >> 1) % 2), 0.45 + 0.12 * (i % 3 === 0 ? 1 : 0)),
  );
}

/** A 64-step viridis-like ramp for numeric columns. */
export function numericColors(): string[] {
  const stops = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  return Array.from({ length: 64 }, (_, i) => {
    const t = (i / 63) * (stops.length - 1);
    const a = Math.floor(t);
    const b = Math.min(stops.length - 1, a + 1);
    const u = t - a;
    return (
      '#' +
      [0, 1, 2]
        .map((c) =>
          Math.round(stops[a][c] * (1 - u) + stops[b][c] * u)
            .toString(16)
            .padStart(2, '0'),
        )
        .join('')
    );
  });
}

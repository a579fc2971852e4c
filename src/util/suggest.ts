/**
 * Close-match suggestions for misspelt keys, preset names and recipe names ("did you mean …?").
 */

/**
 * Levenshtein distance (insertions, deletions, substitutions; an adjacent transposition counts as one edit).
 *
 * @example
 * editDistance('lrr', 'lr'); // 1
 * editDistance('emebdDim', 'embedDim'); // 1 (transposition)
 */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  // Three rows suffice for the optimal-string-alignment recurrence.
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = new Array<number>(n + 1);
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
      cur[j] = v;
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[n];
}

/**
 * Candidates close to `word`, best first: within an edit distance of about a third of the word's length
 * (at least 1, at most 3), case-insensitively, plus candidates that contain the word or are contained in it.
 *
 * @example
 * closeMatches('lrr', ['lr', 'minLr', 'steps']); // ['lr']
 * closeMatches('imagechannels', ['imageChannels', 'embedDim']); // ['imageChannels']
 */
export function closeMatches(word: string, candidates: readonly string[], max = 3): string[] {
  const w = word.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.round(w.length / 3)));
  const scored: [string, number][] = [];
  for (const c of candidates) {
    const lc = c.toLowerCase();
    const d = editDistance(w, lc);
    if (d <= limit) scored.push([c, d]);
    else if (w.length >= 3 && (lc.includes(w) || w.includes(lc)) && lc.length >= 2)
      scored.push([c, limit + 1]);
  }
  return scored
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .slice(0, max)
    .map(([c]) => c);
}

/**
 * The " — did you mean …?" tail of an error message, or an empty string when nothing is close.
 *
 * @example
 * didYouMean('lrr', ['lr', 'steps'], 'train.'); // " — did you mean 'train.lr'?"
 */
export function didYouMean(word: string, candidates: readonly string[], prefix = ''): string {
  const m = closeMatches(word, candidates);
  if (!m.length) return '';
  return ` — did you mean ${m.map((c) => `'${prefix}${c}'`).join(' or ')}?`;
}

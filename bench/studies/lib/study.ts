/** What every study is: a seeded script over the CLI that returns its numbers, a Markdown body and SVG plots. */
import type { Clade } from './cli.ts';

export interface StudyContext {
  /** The data suite's short version: tiny budgets that exercise every step, not the finding. */
  readonly short: boolean;
  /** Scratch directory for runs, embeddings and analysis output (not committed). */
  readonly work: string;
  readonly clade: Clade;
  readonly log: (line: string) => void;
}

export interface StudyOutput {
  readonly title: string;
  /** Seeds of every training run. */
  readonly seeds: readonly number[];
  /** Every number the page shows (written to `<name>.json` as `data`). */
  readonly data: Record<string, unknown>;
  /** Markdown after the common header (what was run, the numbers, the paper's figures, what is missing). */
  readonly body: string;
  /** SVG files by name (`<study>-<plot>.svg`), referenced from `body`. */
  readonly plots: Record<string, string>;
}

export interface Study {
  readonly name: string;
  readonly about: string;
  run(ctx: StudyContext): Promise<StudyOutput>;
}

/** A Markdown table. */
export function mdTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const line = (r: readonly (string | number)[]) => `| ${r.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A number for a page: fixed digits, '—' when missing or not finite. */
export function fmt(x: number | undefined | null, digits = 3): string {
  return x === undefined || x === null || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}

/** A percentage for a page (x in [0, 1]). */
export const pct = (x: number | undefined | null, digits = 1): string =>
  x === undefined || x === null || !Number.isFinite(x) ? '—' : (100 * x).toFixed(digits);

export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Population standard deviation. */
export const std = (xs: readonly number[]): number => {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
};
export const meanStd = (xs: readonly number[], digits = 1, scale = 100): string =>
  xs.length ? `${(scale * mean(xs)).toFixed(digits)} ± ${(scale * std(xs)).toFixed(digits)}` : '—';

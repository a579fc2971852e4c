/**
 * What an entry of the analysis table (suite.ts) is: the labelled split it runs on (with the seeds' per-row
 * annotations), the settings every entry reads, the outcome it returns, and the timing helper entries share.
 */
import type { Embeddings } from '../io/embeddings.ts';
import type { Backend } from './backend.ts';
import type { KnnMetric } from './knn.ts';

export interface LabelledSplit {
  readonly train: Embeddings;
  readonly trainLabels: Int32Array; /* [Ntrain] */
  readonly test: Embeddings;
  readonly testLabels: Int32Array; /* [Ntest] */
  /** Class names by label id (for per-class series); default the ids. */
  readonly classNames?: readonly string[];
  /** Per-row columns the seeds' analyses (`variants`, `trait-order`, `attribute`) read. */
  readonly annotations?: RowAnnotations;
  /** Binary labels per row for `multilabel-probe`: `[N, L]` 0/1, train and test rows. */
  readonly multiLabel?: { names: readonly string[]; train: Uint8Array; test: Uint8Array };
}

/**
 * Per-row columns for the seeds' analyses. `scope` says which rows the arrays describe and the analyses run on:
 * `test` (the test rows) or `all` (the train rows, then the test rows). A null entry leaves the row out.
 */
export interface RowAnnotations {
  readonly scope: 'test' | 'all';
  /** Variant of each row (e.g. adult / juvenile); the two compared come from `settings.variants`. */
  readonly variant?: readonly (string | null)[];
  /** Group of each row (e.g. genus): `variants` and `trait-order` then run per group and average. */
  readonly group?: readonly (string | null)[];
  /** Trait value of each row (e.g. beak size); a class's value is the mean over its rows. */
  readonly trait?: readonly (number | null)[];
  /** Attribute of each row (e.g. habitat). */
  readonly attribute?: readonly (string | null)[];
}

/** Every setting of the table, recorded in each result's `params`. docs/analysis.md lists them. */
export interface AnalysisSettings {
  readonly knn: { k: number; temperature: number; majorityK: number; metric: KnnMetric };
  /** `method`: `exact` (the dense graph, three passes) or `sparse` (`k` neighbours + a pool of `samples`, clade's). */
  readonly rld: {
    temperatures: readonly number[];
    normalize: boolean;
    method: 'exact' | 'sparse';
    k: number;
    samples: number;
  };
  readonly homogeneity: { ps: readonly number[] };
  readonly probe: { lambdas: readonly number[]; valFraction: number };
  readonly graphHead: { temperature: number };
  /** The two variants `variants` compares (`--variants a,b`). */
  readonly variants: readonly [string, string] | null;
  readonly attribute: { permutations: number; maxPerClass: number };
}

export const DEFAULT_SETTINGS: AnalysisSettings = {
  knn: { k: 200, temperature: 0.1, majorityK: 20, metric: 'cosine' },
  rld: { temperatures: [1, 0.5, 0.2, 0.1], normalize: true, method: 'exact', k: 50, samples: 256 },
  homogeneity: { ps: [1, 10, 100, 500, 1000] },
  probe: { lambdas: [1e-2, 1e-3, 1e-4, 1e-5], valFraction: 0.2 },
  graphHead: { temperature: 0.1 },
  variants: null,
  attribute: { permutations: 100, maxPerClass: 500 },
};

/** Settings with some sections (or fields of a section) replaced. */
export type SettingsOverride = {
  readonly [K in keyof AnalysisSettings]?: AnalysisSettings[K] extends object | null
    ? Partial<NonNullable<AnalysisSettings[K]>> | (AnalysisSettings[K] & null)
    : AnalysisSettings[K];
};

/** `DEFAULT_SETTINGS` with the given sections' fields replaced. */
export function resolveSettings(o: SettingsOverride = {}): AnalysisSettings {
  const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    const base = (DEFAULT_SETTINGS as unknown as Record<string, unknown>)[k];
    out[k] = v === null || Array.isArray(v) || base === null ? v : { ...(base as object), ...v };
  }
  return out as unknown as AnalysisSettings;
}

/** One analysis's outcome: what `makeResult` (report layer) needs besides the inputs. */
export interface AnalysisOutcome {
  readonly kind: string;
  readonly name: string;
  readonly params: Record<string, unknown>;
  readonly timings: Record<string, number>;
  readonly metrics: Record<string, number>;
  /** Named series (the report's known ones, or `{ x, y, … }` generic ones); validated when written. */
  readonly series?: Record<string, Record<string, unknown>>;
}

export interface SuiteOptions {
  /** `ort` (default): the engine paths; `js`: the float64 references (small inputs). */
  readonly backend?: Backend;
  readonly seed?: number;
  readonly log?: (line: string) => void;
  readonly settings?: SettingsOverride;
}

export interface RunOptions {
  readonly backend: Backend;
  readonly seed: number;
  readonly log: (line: string) => void;
  readonly settings: AnalysisSettings;
}

export interface SuiteEntry {
  /** What the analysis measures (shown in `clade analyze --help`). */
  readonly title: string;
  /** The annotation column it reads (`clade analyze` runs it by default when that column is given). */
  readonly needs?: 'variant' | 'trait' | 'attribute' | 'multilabel';
  readonly run: (s: LabelledSplit, o: RunOptions) => Promise<AnalysisOutcome>;
}

/** Runs `f` and returns its value with the seconds it took. */
export const timed = async <T>(f: () => Promise<T> | T): Promise<[T, number]> => {
  const t0 = performance.now();
  const v = await f();
  return [v, (performance.now() - t0) / 1000];
};

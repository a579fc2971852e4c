import {
  ANALYSIS_NAMES,
  analysisNeeds,
  runAnalyses,
  type AnalysisName,
  type LabelledSplit,
  type SettingsOverride,
} from '../analysis/suite.ts';
import { makeResult, type CladeResult } from '../report/index.ts';

/** The label-based analyses `clade analyze` (and the demo) can run, by name: the table in `analysis/suite.ts`. */
export const STANDARD_ANALYSES = ANALYSIS_NAMES;
/** The ones that need only embeddings and labels (`clade analyze`'s default). */
export const DEFAULT_ANALYSES = ANALYSIS_NAMES.filter((n) => !analysisNeeds(n));
export type StandardAnalysis = AnalysisName;
export type { LabelledSplit };

/**
 * Run the chosen analyses of the table (`analysis/suite.ts`, engine paths) on a train/test split; one
 * `clade.result/1` result per analysis.
 */
export async function standardAnalyses(
  s: LabelledSplit,
  which: readonly StandardAnalysis[],
  log: (l: string) => void = () => {},
  opts: { settings?: SettingsOverride; seed?: number } = {},
): Promise<CladeResult[]> {
  return (await runAnalyses(s, which, { log, ...opts })).map((r) => makeResult(r));
}

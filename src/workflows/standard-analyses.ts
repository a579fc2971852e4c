import { ANALYSIS_NAMES, runAnalyses, type AnalysisName, type LabelledSplit } from '../analysis/suite.ts';
import { makeResult, type CladeResult } from '../report/index.ts';

/** The label-based analyses `clade analyze` (and the demo) can run, by name: the table in `analysis/suite.ts`. */
export const STANDARD_ANALYSES = ANALYSIS_NAMES;
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
): Promise<CladeResult[]> {
  return (await runAnalyses(s, which, { log })).map((r) => makeResult(r));
}

import { formatSummaryTable, readResults, writeReport } from '../../report/index.ts';
import { join } from 'node:path';
import { CladeError } from '../../util/errors.ts';
import { parseArgs } from '../args.ts';
import { runAnalyze } from '../../workflows/analyze.ts';
import { ANALYSES } from '../../analysis/suite.ts';
import { STANDARD_ANALYSES, type StandardAnalysis } from '../../workflows/standard-analyses.ts';
import { checkOutputDir } from '../../io/output-path.ts';

const HELP = `clade analyze <embeddings> --meta <csv|parquet> --label-col <column> [options]

Embeddings: .npy, .safetensors (--tensor NAME), .parquet/.arrow (fixed-size list column), pybioclip embed .json.
  --id-col COL         metadata column with each embedding's id/path (default: match rows by position)
  --split-col COL      train/test split column (--train-split train --test-split test); default seeded 80/20
  --analyses LIST      comma-separated from: ${STANDARD_ANALYSES.join(', ')} (default: all)
  --out DIR            where result JSON files and report.html go (default: analysis/)
  --report             also write DIR/report.html

Analyses (the table in src/analysis/suite.ts; all on ONNX Runtime, docs/analysis.md):
${STANDARD_ANALYSES.map((n) => `  ${n.padEnd(13)} ${ANALYSES[n].title}`).join('\n')}`;

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, {
    meta: 'string',
    'id-col': 'string',
    'label-col': 'string',
    'split-col': 'string',
    'train-split': 'string',
    'test-split': 'string',
    tensor: 'string',
    analyses: 'string',
    out: 'string',
    seed: 'number',
    report: 'boolean',
    help: 'boolean',
  });
  if (a.help || a._.length !== 1 || !a.meta || !a['label-col']) {
    console.log(HELP);
    return a.help ? 0 : 2;
  }
  const analyses = ((a.analyses as string | undefined)?.split(',') ?? [...STANDARD_ANALYSES]).map((x) =>
    x.trim(),
  );
  for (const x of analyses)
    if (!STANDARD_ANALYSES.includes(x as StandardAnalysis))
      throw new CladeError(`unknown analysis '${x}'; expected one of ${STANDARD_ANALYSES.join(', ')}`, {
        option: '--analyses',
      });
  const outDir = (a.out as string | undefined) ?? 'analysis';
  checkOutputDir(outDir, 'the result directory');
  await runAnalyze({
    embeddings: a._[0],
    meta: a.meta as string,
    idCol: a['id-col'] as string | undefined,
    labelCol: a['label-col'] as string,
    splitCol: a['split-col'] as string | undefined,
    trainSplit: a['train-split'] as string | undefined,
    testSplit: a['test-split'] as string | undefined,
    tensor: a.tensor as string | undefined,
    analyses: analyses as StandardAnalysis[],
    outDir,
    seed: a.seed as number | undefined,
    log: (l) => console.error(l),
  });
  const results = readResults(outDir);
  console.log(formatSummaryTable(results));
  if (a.report) {
    await writeReport(join(outDir, 'report.html'), results, { title: `clade analyze — ${a._[0]}` });
    console.log(`report: ${join(outDir, 'report.html')}`);
  }
  return 0;
}

import { parseArgs } from 'node:util';
import { CladeError } from '../../util/errors.ts';
import { writeReport } from '../../report/render-report.ts';
import { readResults } from '../../report/result-files.ts';
import { checkOutputFile } from '../../io/output-path.ts';
import { isRunDir } from '../../report/run-summary.ts';

const USAGE = `usage: clade report <dir|result.json>... [--out report.html] [--color-by <rank>] [--title <text>]
                    [--max-points <n>] [--seed <n>]
  Writes one self-contained offline HTML file (static SVG plots, no scripts, no network) from result JSON files:
  2-D projection coloured by --color-by (default: the finest rank with at most 20 classes), per-rank accuracy,
  class-homogeneity curve, RLD against T, radius by level, orthogonality per class, and metric tables.
  Default --out: report.html.`;

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new CladeError(`expected a non-negative integer, got "${v}"`, { field: flag });
  return n;
}

/**
 * `clade report <results…> --out report.html [--color-by <rank>]`; returns the exit code (0 ok, 1 bad input, 2 usage).
 *
 * @example
 * await run(['runs/demo', '--out', 'runs/demo/report.html', '--color-by', 'genus']);
 */
export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string', short: 'o', default: 'report.html' },
        'color-by': { type: 'string' },
        title: { type: 'string' },
        'max-points': { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`clade report: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!positionals.length) {
    process.stderr.write(`clade report: give at least one result file or directory\n${USAGE}\n`);
    return 2;
  }
  try {
    checkOutputFile(values.out, 'the report file');
    const results = readResults(positionals);
    if (!results.length)
      throw new CladeError('no result files (*.json) found', { file: positionals.join(' ') });
    const plots = await writeReport(values.out, results, {
      run: positionals.find(isRunDir),
      colorBy: values['color-by'],
      title: values.title,
      maxPoints: positiveInt(values['max-points'], '--max-points'),
      seed: positiveInt(values.seed, '--seed'),
    });
    process.stderr.write(`wrote ${values.out} (${results.length} results, ${plots} plots)\n`);
    return 0;
  } catch (e) {
    if (e instanceof CladeError) {
      process.stderr.write(`clade report: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

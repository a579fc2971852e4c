import { parseArgs } from 'node:util';
import { extname } from 'node:path';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { CladeError } from '../../util/errors.ts';
import { aggregateResults, tableToCsv, tableToMarkdown } from '../../report/aggregate.ts';
import { readResults } from '../../report/result-files.ts';
import { formatSummaryTable } from '../../report/summary-table.ts';
import { checkOutputFile } from '../../io/output-path.ts';

const USAGE = `usage:
  clade results aggregate <dir|result.json>... [--out table.csv|table.md] [--format csv|md]
      One row per result (params + scalar metrics), as CLIP_benchmark's "build". Without --out, prints Markdown
      (or --format csv) to stdout. The format follows --out's extension unless --format is given.
  clade results validate <dir|result.json>...
      Checks every file against the result schema; names the file and field of the first problem.
  clade results show <dir|result.json>...
      Prints the terminal summary table.`;

/**
 * `clade results <aggregate|validate|show> …`; returns the exit code (0 ok, 1 bad input, 2 usage).
 *
 * @example
 * await run(['aggregate', 'runs/demo', '--out', 'runs/demo/table.csv']);
 */
export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
    (sub ? process.stdout : process.stderr).write(`${USAGE}\n`);
    return sub ? 0 : 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        out: { type: 'string', short: 'o' },
        format: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`clade results: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!['aggregate', 'validate', 'show'].includes(sub)) {
    process.stderr.write(`clade results: unknown subcommand "${sub}"\n${USAGE}\n`);
    return 2;
  }
  if (!positionals.length) {
    process.stderr.write(`clade results ${sub}: give at least one result file or directory\n${USAGE}\n`);
    return 2;
  }
  try {
    if (values.out) checkOutputFile(values.out, 'the table file');
    const results = readResults(positionals);
    if (sub === 'validate') {
      process.stdout.write(`${results.length} result file(s) valid\n`);
      return 0;
    }
    if (sub === 'show') {
      process.stdout.write(`${formatSummaryTable(results, { color: process.stdout.isTTY ?? false })}\n`);
      return 0;
    }
    if (!results.length)
      throw new CladeError('no result files (*.json) found', { file: positionals.join(' ') });
    const ext = values.out ? extname(values.out).toLowerCase() : '';
    const format =
      values.format ??
      (ext === '.csv' ? 'csv' : ext === '.md' || ext === '.markdown' ? 'md' : values.out ? '' : 'md');
    if (format !== 'csv' && format !== 'md')
      throw new CladeError(`cannot tell the table format; use --out <file>.csv or .md, or --format csv|md`, {
        field: values.format !== undefined ? '--format' : '--out',
      });
    const table = aggregateResults(results);
    const text = format === 'csv' ? tableToCsv(table) : tableToMarkdown(table);
    if (values.out) {
      writeFileAtomic(values.out, text);
      process.stderr.write(
        `wrote ${values.out} (${table.rows.length} rows, ${table.columns.length} columns)\n`,
      );
    } else process.stdout.write(text);
    return 0;
  } catch (e) {
    if (e instanceof CladeError) {
      process.stderr.write(`clade results ${sub}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

import { formatSummaryTable, readResults } from '../../report/index.ts';
import { checkOutputDir } from '../../io/output-path.ts';
import { runHierarCaps } from '../../workflows/hierarcaps.ts';
import { parseArgs } from '../args.ts';

const HELP = `clade hierarcaps --data DIR (--model MODEL | --images FILE --texts FILE) [options]

HierarCaps (Alper & Averbuch-Elor, ECCV 2024) evaluation, docs/methods.md §C.6: hierarchical retrieval precision P and
recall R over the 4n test captions (50 radius thresholds around the root e("")), and d_corr.
  --data DIR        the HierarCaps folder (hierarcaps_test.csv, images_64x64.bin), e.g. ../shared/datasets/hierarcaps
  --model MODEL     an open_clip folder or a clade model directory: embeds the test images and the chain texts
  --images FILE     or precomputed image embeddings, one row per test row (file order)
  --texts FILE      and text embeddings: 4 levels per test row (row i level k at 4i + k), then the empty text
  --limit N         only the first N test rows
  --steps S         radius thresholds (default 50)
  --out DIR         result JSON directory (default hierarcaps/)`;

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, {
    data: 'string',
    model: 'string',
    images: 'string',
    texts: 'string',
    limit: 'number',
    steps: 'number',
    out: 'string',
    help: 'boolean',
  });
  if (a.help || a._.length || !a.data) {
    console.log(HELP);
    return a.help ? 0 : 2;
  }
  const outDir = (a.out as string | undefined) ?? 'hierarcaps';
  checkOutputDir(outDir, 'the result directory');
  await runHierarCaps({
    data: a.data as string,
    model: a.model as string | undefined,
    images: a.images as string | undefined,
    texts: a.texts as string | undefined,
    limit: a.limit as number | undefined,
    steps: a.steps as number | undefined,
    outDir,
    log: (l) => console.error(l),
  });
  console.log(formatSummaryTable(readResults(outDir)));
  return 0;
}

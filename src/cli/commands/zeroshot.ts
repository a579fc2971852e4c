import { formatSummaryTable, readResults } from '../../report/index.ts';
import { classTextFromModel } from '../../pretrained/class-text-from-model.ts';
import { parseArgs } from '../args.ts';
import { runZeroShot } from '../../workflows/zeroshot.ts';
import { checkOutputDir } from '../../io/output-path.ts';
import { readMetaTable } from '../../io/metadata.ts';
import { CladeError } from '../../util/errors.ts';

const HELP = `clade zeroshot <image-embeddings> --class-text <file> --classes <csv> --meta <csv> --label-col <col> [options]

  --class-text FILE         class text embeddings, class-major (--templates-per-class M rows per class), or a
                            model (open_clip folder / model directory) that embeds the class names (--templates
                            openai|simple|bioclip|none|FILE, default openai) with its own logit scale
  --classes CSV             one row per class in that order; --class-col names the class (default 'name')
  --rank-cols a,b,c         class-table rank columns (coarse → fine) for per-rank accuracy and mistake severity
  --meta CSV --label-col C  each image's true class name (--id-col to join by id instead of row order)
  --scale S                 logit scale s = exp(logitScale) (default 100)
  --subset COL=V1,V2|CSV    keep only classes whose class-table column COL is one of the values (a CSV: its first
                            column is named after COL and lists them); the softmax renormalises within them and
                            images of other classes are left out (pybioclip --subset)
  --abstain P               with --rank-cols: name each image at the deepest rank whose summed probability ≥ P;
                            reports the share named at each rank, none, and their accuracy
  --bins CSV                class → bin table (--bin-class-col, default the class column; --bin-col, default
                            'bin'): probabilities summed per bin, accuracy against the true class's bin
  --out DIR                 result JSON directory (default zeroshot/)`;

/** `COL=V1,V2` or a CSV whose first column is named after the class-table column and lists the values. */
async function parseSubset(v: string): Promise<{ column: string; values: string[] }> {
  const eq = v.indexOf('=');
  if (eq > 0 && !v.toLowerCase().endsWith('.csv'))
    return {
      column: v.slice(0, eq).trim(),
      values: v
        .slice(eq + 1)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    };
  const t = await readMetaTable(v);
  const col = t.names[0];
  if (!col) throw new CladeError('the subset CSV has no columns', { file: v, option: '--subset' });
  return { column: col, values: t.columns[col].filter((x) => x !== null).map(String) };
}

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, {
    'class-text': 'string',
    'class-tensor': 'string',
    templates: 'string',
    tensor: 'string',
    'templates-per-class': 'number',
    classes: 'string',
    'class-col': 'string',
    'rank-cols': 'string',
    meta: 'string',
    'label-col': 'string',
    'id-col': 'string',
    scale: 'number',
    subset: 'string',
    abstain: 'number',
    bins: 'string',
    'bin-class-col': 'string',
    'bin-col': 'string',
    out: 'string',
    help: 'boolean',
  });
  if (a.help || a._.length !== 1 || !a['class-text'] || !a.classes || !a.meta || !a['label-col']) {
    console.log(HELP);
    return a.help ? 0 : 2;
  }
  const outDir = (a.out as string | undefined) ?? 'zeroshot';
  checkOutputDir(outDir, 'the result directory');
  const classCol = (a['class-col'] as string | undefined) ?? 'name';
  const fromModel = await classTextFromModel(
    a['class-text'] as string,
    a.classes as string,
    classCol,
    a.templates as string | undefined,
  );
  await runZeroShot({
    images: a._[0],
    imageTensor: a.tensor as string | undefined,
    classText: fromModel?.file ?? (a['class-text'] as string),
    classTensor: fromModel?.tensor ?? (a['class-tensor'] as string | undefined),
    templatesPerClass: a['templates-per-class'] as number | undefined,
    classes: a.classes as string,
    classNameCol: classCol,
    rankCols: (a['rank-cols'] as string | undefined)?.split(',').map((s) => s.trim()),
    meta: a.meta as string,
    labelCol: a['label-col'] as string,
    idCol: a['id-col'] as string | undefined,
    scale: (a.scale as number | undefined) ?? fromModel?.scale,
    subset: a.subset === undefined ? undefined : await parseSubset(a.subset as string),
    abstain: a.abstain as number | undefined,
    bins: a.bins as string | undefined,
    binClassCol: a['bin-class-col'] as string | undefined,
    binCol: a['bin-col'] as string | undefined,
    outDir,
  });
  console.log(formatSummaryTable(readResults(outDir)));
  return 0;
}

import { formatSummaryTable, readResults } from '../../report/index.ts';
import { classTextFromModel } from '../../pretrained/class-text-from-model.ts';
import { parseArgs } from '../args.ts';
import { runZeroShot } from '../../workflows/zeroshot.ts';
import { checkOutputDir } from '../../io/output-path.ts';

const HELP = `clade zeroshot <image-embeddings> --class-text <file> --classes <csv> --meta <csv> --label-col <col> [options]

  --class-text FILE         class text embeddings, class-major (--templates-per-class M rows per class), or a
                            model (open_clip folder / model directory) that embeds the class names (--templates
                            openai|simple|bioclip|none|FILE, default openai) with its own logit scale
  --classes CSV             one row per class in that order; --class-col names the class (default 'name')
  --rank-cols a,b,c         class-table rank columns (coarse → fine) for per-rank accuracy and mistake severity
  --meta CSV --label-col C  each image's true class name (--id-col to join by id instead of row order)
  --scale S                 logit scale s = exp(logitScale) (default 100)
  --out DIR                 result JSON directory (default zeroshot/)`;

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
    outDir,
  });
  console.log(formatSummaryTable(readResults(outDir)));
  return 0;
}

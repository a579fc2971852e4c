import { formatSummaryTable, readResults } from '../../report/index.ts';
import { checkOutputDir } from '../../io/output-path.ts';
import { runRetrieval } from '../../workflows/retrieval.ts';
import { parseArgs } from '../args.ts';

const HELP = `clade retrieval <image-embeddings> --texts <text-embeddings> [options]

Image ↔ text retrieval on cosine similarity: R@1/5/10, mean and median rank, both directions (CLIP_benchmark).
  --texts FILE              text embeddings (any format clade analyze reads; --tensor / --text-tensor for safetensors)
  --captions-per-image M    texts are image-major, M captions per image (default 1: text t describes image t)
  --text-meta CSV           or: one row per text naming its image in --image-col (default 'image'), matched
                            against the image file's ids (Parquet/Arrow id column, JSON paths, else row numbers)
  --out DIR                 result JSON directory (default retrieval/)`;

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, {
    texts: 'string',
    tensor: 'string',
    'text-tensor': 'string',
    'captions-per-image': 'number',
    'text-meta': 'string',
    'image-col': 'string',
    out: 'string',
    help: 'boolean',
  });
  if (a.help || a._.length !== 1 || !a.texts) {
    console.log(HELP);
    return a.help ? 0 : 2;
  }
  const outDir = (a.out as string | undefined) ?? 'retrieval';
  checkOutputDir(outDir, 'the result directory');
  await runRetrieval({
    images: a._[0],
    imageTensor: a.tensor as string | undefined,
    texts: a.texts as string,
    textTensor: a['text-tensor'] as string | undefined,
    captionsPerImage: a['captions-per-image'] as number | undefined,
    textMeta: a['text-meta'] as string | undefined,
    imageCol: a['image-col'] as string | undefined,
    outDir,
  });
  console.log(formatSummaryTable(readResults(outDir)));
  return 0;
}

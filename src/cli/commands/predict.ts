import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { RANKS, type Rank } from '../../analysis/rank-aggregation.ts';
import { decodeImage, withImage } from '../../data/readers/decode-image.ts';
import { IMAGE_EXTENSIONS } from '../../data/readers/image-folder.ts';
import type { Image } from '../../data/types.ts';
import { openModel } from '../../pretrained/open-model.ts';
import {
  customLabels,
  isTextType,
  predict,
  predictionsCsv,
  resolveTemplates,
  subsetMask,
  taxonomyLabels,
  TEXT_TYPES,
} from '../../pretrained/predict.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { CladeError } from '../../util/errors.ts';
import { progress } from '../../util/progress.ts';
import { parseArgs } from '../args.ts';
import { resolveEmbedData } from '../../embed/data-spec.ts';
import { checkOutputFile } from '../../io/output-path.ts';

const HELP = `clade predict <model> <images>... (--cls LABELS | --taxonomy TAXA) [options]

Zero-shot classification of images with a CLIP model, as pybioclip's 'bioclip predict': per image the top-k
labels with probabilities softmax(s·cos). <model> is an open_clip folder (open_clip_config.json +
open_clip_model.safetensors, e.g. BioCLIP 2) or a clade model directory. <images> are image files, folders
(flat or one sub-folder per class) or manifests (.csv/.tsv/.jsonl/.parquet with an 'image' column).

Labels (one of):
  --cls LABELS          a file with one label per line, or a comma-separated list
  --taxonomy TAXA       a CSV/TSV/Parquet table, one row per species: rank columns (kingdom … species; any
                        subset, coarsest first) and optionally common / common_name

Options:
  --rank RANK           report this rank (${RANKS.join(', ')}; default species): species probabilities
                        are summed up the tree (taxonomy only)
  --k N                 top-k (default 5; with --cls all labels)
  --subset S            keep only the classes in clade S (a name at any rank) or in the CSV S whose first
                        column is named after a rank; probabilities renormalise within the subset
  --templates T         openai (80 templates; default for --cls), simple (7), bioclip ('a photo of {c}.';
                        default for --taxonomy), none, or a file with one template per line ({c} = class)
  --text TYPE           class text of a taxonomy row: ${TEXT_TYPES.join(', ')} (default taxon_com)
  --abstain P           also report the deepest rank whose top probability reaches P (taxonomy only)
  --format csv|json     output format (default csv)
  --out FILE            write there (default: standard output)
  --quiet               no progress bar

Class-text embeddings are cached next to the model (.clade-cache/), keyed by model, labels and templates.`;

/** Image inputs from the positional arguments: image files directly, anything else through clade embed's data specs. */
async function imageInputs(args: readonly string[]): Promise<{ id: string; image: () => Promise<Image> }[]> {
  const out: { id: string; image: () => Promise<Image> }[] = [];
  for (const a of args) {
    if (
      existsSync(a) &&
      statSync(a).isFile() &&
      (IMAGE_EXTENSIONS as readonly string[]).includes(extname(a).toLowerCase())
    ) {
      out.push({ id: a, image: () => decodeImage(a) });
      continue;
    }
    const { dataset } = await resolveEmbedData(a);
    for (let i = 0; i < dataset.length; i++) {
      const s = dataset.get(i);
      out.push({
        id: s.imagePath ?? s.id,
        image: async () => {
          const t = await withImage(s);
          if (!t.image) throw new CladeError('sample has no image', { sample: s.id });
          return t.image;
        },
      });
    }
  }
  return out;
}

/**
 * `clade predict`: top-k labels per image at any rank. Returns the exit code.
 *
 * @example
 * await run(['models/bioclip-2', 'photos/', '--taxonomy', 'taxa.csv', '--rank', 'genus', '--format', 'json']);
 */
export async function run(argv: string[]): Promise<number> {
  let a: ReturnType<typeof parseArgs>;
  try {
    a = parseArgs(argv, {
      cls: 'string',
      taxonomy: 'string',
      rank: 'string',
      k: 'number',
      subset: 'string',
      templates: 'string',
      text: 'string',
      abstain: 'number',
      format: 'string',
      out: 'string',
      quiet: 'boolean',
      help: 'boolean',
    });
  } catch (e) {
    if (!(e instanceof CladeError)) throw e;
    console.error(`clade predict: ${e.message}\n\n${HELP}`);
    return 2;
  }
  if (a.help) {
    console.log(HELP);
    return 0;
  }
  const k = a.k as number | undefined;
  const p = a.abstain as number | undefined;
  const format = (a.format as string | undefined) ?? 'csv';
  const problem =
    a._.length < 2
      ? 'expected <model> and at least one image, folder or manifest'
      : !a.cls === !a.taxonomy
        ? 'give exactly one of --cls or --taxonomy'
        : a.rank !== undefined && !(RANKS as readonly string[]).includes(a.rank as string)
          ? `--rank: expected one of ${RANKS.join(', ')}, got '${a.rank}'`
          : k !== undefined && !(Number.isInteger(k) && k > 0)
            ? '--k: expected a positive integer'
            : p !== undefined && !(p > 0 && p <= 1)
              ? '--abstain: expected a probability in (0, 1]'
              : !['csv', 'json'].includes(format)
                ? `--format: expected csv or json, got '${format}'`
                : a.text !== undefined && !isTextType(a.text as string)
                  ? `--text: expected one of ${TEXT_TYPES.join(', ')}`
                  : null;
  if (problem) {
    console.error(`clade predict: ${problem}\n\n${HELP}`);
    return 2;
  }
  const [modelDir, ...images] = a._;
  try {
    if (a.out) checkOutputFile(a.out as string, 'the predictions file');
    const labels = a.cls
      ? customLabels(a.cls as string)
      : await taxonomyLabels(a.taxonomy as string, (a.text as never) ?? 'taxon_com');
    const templates = resolveTemplates((a.templates as string | undefined) ?? (a.cls ? 'openai' : 'bioclip'));
    const subset = a.subset ? await subsetMask(labels, a.subset as string) : undefined;
    const inputs = await imageInputs(images);
    if (!inputs.length) throw new CladeError('no images found');
    const model = await openModel(modelDir);
    const bars = {
      classes: null as ReturnType<typeof progress> | null,
      images: null as ReturnType<typeof progress> | null,
    };
    const shown = { classes: 0, images: 0 };
    try {
      const preds = await predict(model, inputs, labels, {
        rank: a.rank as Rank | undefined,
        k,
        templates,
        subset,
        abstain: p,
        onProgress: (phase, done, total) => {
          if (a.quiet) return;
          bars[phase] ??= progress(phase === 'classes' ? 'class texts' : 'predict', total, {
            unit: phase === 'classes' ? 'text' : 'img',
          });
          bars[phase]!.tick(done - shown[phase]);
          shown[phase] = done;
          if (done === total) bars[phase]!.done();
        },
      });
      const text = format === 'json' ? JSON.stringify(preds, null, 2) + '\n' : predictionsCsv(preds, labels);
      if (a.out) writeFileAtomic(a.out as string, text);
      else process.stdout.write(text);
    } finally {
      await model.release();
    }
    return 0;
  } catch (e) {
    if (!(e instanceof CladeError)) throw e;
    console.error(`clade predict: ${e.message}`);
    return 1;
  }
}

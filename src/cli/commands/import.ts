import { importOpenClip } from '../../pretrained/import-model.ts';
import { CladeError } from '../../util/errors.ts';
import { parseArgs } from '../args.ts';
import { checkOutputDir } from '../../io/output-path.ts';

const HELP = `clade import <open_clip-folder> --out MODELDIR [--batch 32]

Writes a clade model directory (model.json, weights.safetensors, image.onnx, text.onnx) from an open_clip
checkpoint folder (open_clip_config.json + open_clip_model.safetensors, as BioCLIP, BioCLIP 2 and OpenCLIP
models are published). The ONNX files run in any onnxruntime and give the folder's embeddings.

  --batch N   static batch size of the exported graphs (default 32; the last batch is padded)`;

/**
 * `clade import`: an open_clip folder → a clade model directory. Returns the exit code.
 *
 * @example
 * await run(['models/bioclip-2', '--out', 'models/bioclip-2-clade']);
 */
export async function run(argv: string[]): Promise<number> {
  let a: ReturnType<typeof parseArgs>;
  try {
    a = parseArgs(argv, { out: 'string', batch: 'number', help: 'boolean' });
  } catch (e) {
    if (!(e instanceof CladeError)) throw e;
    console.error(`clade import: ${e.message}\n\n${HELP}`);
    return 2;
  }
  if (a.help) {
    console.log(HELP);
    return 0;
  }
  const batch = a.batch as number | undefined;
  const problem =
    a._.length !== 1
      ? 'expected one open_clip folder'
      : !a.out
        ? 'missing --out MODELDIR'
        : batch !== undefined && !(Number.isInteger(batch) && batch > 0)
          ? '--batch: expected a positive integer'
          : null;
  if (problem) {
    console.error(`clade import: ${problem}\n\n${HELP}`);
    return 2;
  }
  try {
    checkOutputDir(a.out as string, 'the model directory');
    const json = importOpenClip(a._[0], a.out as string, { batch });
    console.log(
      `imported ${a._[0]} → ${a.out} (towers: ${Object.keys(json.towers).join(', ')}; batch ${json.batch})`,
    );
    return 0;
  } catch (e) {
    if (!(e instanceof CladeError)) throw e;
    console.error(`clade import: ${e.message}`);
    return 1;
  }
}

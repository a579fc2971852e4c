import { parseArgs } from '../args.ts';
import { CladeError } from '../../util/errors.ts';
import { exportRun } from '../../train/run-dir.ts';
import { join } from 'node:path';
import { checkOutputDir } from '../../io/output-path.ts';

const HELP = `clade export <run-dir> [--out DIR] [--batch N]

Rebuilds the recipe from <run-dir>/config.json, loads the parameters of the newest checkpoint in
<run-dir>/checkpoints (optimizer state is not needed) and writes a model directory: model.json,
weights.safetensors and one standalone ONNX graph per tower (image.onnx, text.onnx, ...).

Options:
  --out DIR     model directory (default <run-dir>/model)
  --batch N     static batch size of the exported graphs (default: the config's train.exportBatch)`;

/**
 * `clade export`: write a model directory from a run's config.json and newest checkpoint. Returns the exit code.
 *
 * @example
 * await run(['runs/d', '--out', 'models/d', '--batch', '32']);
 */
export async function run(argv: string[]): Promise<number> {
  let a: ReturnType<typeof parseArgs>;
  try {
    a = parseArgs(argv, { out: 'string', batch: 'number', help: 'boolean' });
  } catch (e) {
    if (!(e instanceof CladeError)) throw e;
    console.error(`clade export: ${e.message}\n\n${HELP}`);
    return 2;
  }
  if (a.help) {
    console.log(HELP);
    return 0;
  }
  const batch = a.batch as number | undefined;
  if (a._.length !== 1 || (batch !== undefined && !(Number.isInteger(batch) && batch > 0))) {
    console.error(
      `clade export: ${a._.length !== 1 ? 'expected one run directory' : '--batch: expected a positive integer'}\n\n${HELP}`,
    );
    return 2;
  }
  try {
    checkOutputDir((a.out as string | undefined) ?? join(a._[0], 'model'), 'the model directory');
    const r = await exportRun(a._[0], { out: a.out as string | undefined, batch });
    console.log(
      `exported ${r.checkpoint} → ${r.dir} (${Object.keys(r.model.towers).join(', ')}; batch ${r.model.batch})`,
    );
    return 0;
  } catch (e) {
    if (!(e instanceof CladeError)) throw e;
    console.error(`clade export: ${e.message}`);
    return 1;
  }
}

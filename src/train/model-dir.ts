import { existsSync, readFileSync } from 'node:fs';
import { recoverDir, writeDirAtomic } from '../io/commit-dir.ts';
import { join } from 'node:path';
import { ort } from '../engine/node.ts';
import { writeSafetensors, type SafeTensor } from '../io/safetensors.ts';
import type { Params } from '../nn/context.ts';
import { hostLeaves } from '../nn/param-tree.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { CladeError } from '../util/errors.ts';
import { forwardOnnx } from './export.ts';
import type { Recipe } from './recipe.ts';

export const CLADE_VERSION = '0.1.0';

/** model.json: what a model directory holds and how to feed each tower. */
export interface ModelJson {
  readonly schema: 'clade.model/1';
  readonly clade: string;
  readonly created: string;
  /** Static batch size of the exported graphs (pad the last batch). */
  readonly batch: number;
  readonly towers: Readonly<
    Record<
      string,
      { file: string; inputs: Record<string, { shape: number[]; dtype: string }>; output: 'embedding' }
    >
  >;
  readonly description: Record<string, unknown>;
}

/**
 * Write a model directory: `model.json`, `weights.safetensors` (tree paths as names) and one standalone ONNX
 * forward graph per tower (`image.onnx`, `text.onnx`, `tabular.onnx`). The directory is replaced as a unit
 * (written beside it, then renamed), so it never mixes new weights with old towers.
 */
export function writeModelDir(dir: string, recipe: Recipe, params: Params, batch = 64): ModelJson {
  return writeDirAtomic(dir, (tmp) => writeModelFiles(tmp, recipe, params, batch));
}

function writeModelFiles(dir: string, recipe: Recipe, params: Params, batch: number): ModelJson {
  const weights = new Map<string, SafeTensor>();
  for (const [k, v] of hostLeaves(params)) weights.set(k, { dtype: 'F32', shape: v.shape, data: v.data });
  writeSafetensors(join(dir, 'weights.safetensors'), weights, { clade: CLADE_VERSION, recipe: recipe.name });
  const towers: Record<string, ModelJson['towers'][string]> = {};
  for (const [name, spec] of Object.entries(recipe.towers(batch))) {
    const file = `${name}.onnx`;
    writeFileAtomic(join(dir, file), forwardOnnx(params, spec, `clade-${recipe.name}-${name}`));
    towers[name] = {
      file,
      inputs: Object.fromEntries(
        Object.entries(spec.inputs).map(([k, s]) => [
          k,
          { shape: [...s.shape], dtype: s.dtype ?? 'float32' },
        ]),
      ),
      output: 'embedding',
    };
  }
  const json: ModelJson = {
    schema: 'clade.model/1',
    clade: CLADE_VERSION,
    created: new Date().toISOString(),
    batch,
    towers,
    description: recipe.describe(),
  };
  writeFileAtomic(join(dir, 'model.json'), JSON.stringify(json, null, 2) + '\n');
  return json;
}

export function readModelJson(dir: string): ModelJson {
  const path = join(dir, 'model.json');
  if (!existsSync(path)) recoverDir(dir); // a re-export killed between its two renames: the previous version
  let json: ModelJson;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CladeError(`cannot read model.json: ${(e as Error).message}`, { file: path });
  }
  if (json.schema !== 'clade.model/1')
    throw new CladeError(`expected schema 'clade.model/1', got '${json.schema}'`, {
      file: path,
      field: 'schema',
    });
  return json;
}

/**
 * Run one tower of a model directory over N rows, in static-size batches (the last one padded), with plain
 * onnxruntime: no clade graph code is involved, exactly as any ONNX user would run it.
 */
export async function runTower(
  dir: string,
  tower: string,
  inputs: Readonly<Record<string, Float32Array | BigInt64Array>>,
  n: number,
  onProgress?: (done: number) => void,
): Promise<{ data: Float32Array; n: number; d: number }> {
  const model = readModelJson(dir);
  const t = model.towers[tower];
  if (!t)
    throw new CladeError(`model has no '${tower}' tower (has: ${Object.keys(model.towers).join(', ')})`, {
      file: join(dir, 'model.json'),
    });
  const session = await ort.InferenceSession.create(join(dir, t.file));
  const B = model.batch;
  let out: Float32Array | null = null;
  let d = 0;
  for (let start = 0; start < n; start += B) {
    const rows = Math.min(B, n - start);
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, spec] of Object.entries(t.inputs)) {
      const per = spec.shape.slice(1).reduce((a, b) => a * b, 1);
      const src = inputs[name];
      if (!src) throw new CladeError(`missing input '${name}' for the ${tower} tower`);
      const buf = spec.dtype === 'int64' ? new BigInt64Array(B * per) : new Float32Array(B * per);
      (buf as Float32Array).set((src as Float32Array).subarray(start * per, (start + rows) * per));
      feeds[name] = new ort.Tensor(spec.dtype as 'float32', buf as Float32Array, spec.shape);
    }
    const emb = (await session.run(feeds)).embedding;
    d = emb.dims[1];
    out ??= new Float32Array(n * d);
    out.set((emb.data as Float32Array).subarray(0, rows * d), start * d);
    onProgress?.(start + rows);
  }
  return { data: out ?? new Float32Array(0), n, d };
}

/**
 * Writing `clade embed`'s output by extension: Parquet (id, label, label_name, embedding list<float>), Arrow IPC
 * (the same with embedding as FixedSizeList<Float32>[D]), `.npy` ([N, D] float32 + a `.json` sidecar with ids
 * and labels) or safetensors (`embedding` F32 [N, D], `label` I32 [N]; ids in the metadata). All atomic.
 */
import { basename, dirname, extname, resolve } from 'node:path';
import {
  Field,
  FixedSizeList,
  Float32,
  Table,
  Utf8,
  makeData,
  makeVector,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { Embeddings } from '../io/embeddings.ts';
import { sidecarPath, writeNpyWithSidecar } from '../io/npy-sidecar.ts';
import { removeStaleTempFiles } from '../io/temp-files.ts';
import { checkOutputFile } from '../io/output-path.ts';
import { writeSafetensors } from '../io/safetensors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { CladeError } from '../util/errors.ts';

export interface EmbedOutput {
  readonly embeddings: Embeddings;
  readonly ids: readonly string[];
  /** -1 where a sample has no label. */
  readonly labels: Int32Array; /* [N] */
  readonly labelNames?: readonly string[];
  /** Written to the file's metadata (Parquet key-value, safetensors header, npy sidecar). */
  readonly meta: Record<string, string>;
}

/** Output extensions `writeEmbedOutput` understands. */
export const EMBED_OUTPUT_EXTENSIONS = ['.parquet', '.arrow', '.feather', '.npy', '.safetensors'] as const;

/**
 * Check, before embedding anything, that `path` has a known extension and can be written (with the `.npy`
 * sidecar `.json` too).
 */
export function checkEmbedOutput(path: string): void {
  const ext = extname(path).toLowerCase();
  if (!(EMBED_OUTPUT_EXTENSIONS as readonly string[]).includes(ext))
    throw new CladeError(
      `unknown output extension '${ext}'; expected ${EMBED_OUTPUT_EXTENSIONS.join(', ')}`,
      {
        file: path,
      },
    );
  checkOutputFile(path);
  if (ext === '.npy') checkOutputFile(`${path.slice(0, -4)}.json`, 'the .npy sidecar file');
  // temporary files an earlier, killed write of the same output left behind
  removeStaleTempFiles(dirname(resolve(path)), [basename(path), basename(sidecarPath(path))]);
}

/**
 * Write embeddings with ids and labels; the format follows the extension.
 *
 * @example
 * writeEmbedOutput('emb.parquet', { embeddings, ids, labels, labelNames, meta: { model: 'runs/x/model' } });
 */
export function writeEmbedOutput(path: string, o: EmbedOutput): void {
  const { n, d, data } = o.embeddings;
  if (o.ids.length !== n || o.labels.length !== n)
    throw new CladeError(`expected ${n} ids and labels, got ${o.ids.length} and ${o.labels.length}`, {
      file: path,
    });
  const names = Array.from(o.labels, (l) => (l >= 0 && o.labelNames ? (o.labelNames[l] ?? '') : ''));
  const ext = extname(path).toLowerCase();
  if (ext === '.parquet') {
    const vecs = Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * d, (i + 1) * d)));
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'id', data: [...o.ids] },
        { name: 'label', data: o.labels },
        { name: 'label_name', data: names },
        { name: 'embedding', data: vecs },
      ],
      schema: [
        { name: 'root', num_children: 4 },
        { name: 'id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'label', type: 'INT32', repetition_type: 'REQUIRED' },
        { name: 'label_name', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        { name: 'embedding', repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: 'FLOAT', repetition_type: 'REQUIRED' },
      ],
      kvMetadata: Object.entries({ ...o.meta, dim: String(d) }).map(([key, value]) => ({ key, value })),
    });
    writeFileAtomic(path, new Uint8Array(buf));
  } else if (ext === '.arrow' || ext === '.feather') {
    const type = new FixedSizeList(d, new Field('item', new Float32(), false));
    const child = makeData({ type: new Float32(), length: n * d, data });
    const table = new Table({
      id: vectorFromArray([...o.ids], new Utf8()),
      label: makeVector(o.labels),
      label_name: vectorFromArray(names, new Utf8()),
      embedding: makeVector(makeData({ type, length: n, nullCount: 0, child })),
    });
    writeFileAtomic(path, tableToIPC(table, 'file'));
  } else if (ext === '.npy') {
    writeNpyWithSidecar(path, data, [n, d], {
      ...o.meta,
      shape: [n, d],
      ids: o.ids,
      labels: Array.from(o.labels),
      labelNames: o.labelNames ?? null,
    });
  } else if (ext === '.safetensors') {
    writeSafetensors(
      path,
      {
        embedding: { dtype: 'F32', shape: [n, d], data },
        label: { dtype: 'I32', shape: [n], data: o.labels },
      },
      { ...o.meta, ids: JSON.stringify(o.ids), labelNames: JSON.stringify(o.labelNames ?? []) },
    );
  } else
    throw new CladeError(
      `unknown output extension '${ext}'; expected ${EMBED_OUTPUT_EXTENSIONS.join(', ')}`,
      {
        file: path,
      },
    );
}

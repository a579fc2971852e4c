/**
 * `clade analyze DATA.lance --ann`, before any search: the rows kept (NaN/±Inf rows are an error or, with
 * `--non-finite skip`, dropped), their labels and the split, read from the Lance dataset in batches.
 */
import { readMetaTable } from '../io/metadata.ts';
import type { LanceDataset } from '../io/lance.ts';
import type { DroppedRows } from '../io/load-embeddings.ts';
import { CladeError } from '../util/errors.ts';
import { labelsAndSplit, logDropped, logSingletons, type AnalyzeOptions } from './analyze.ts';

/** Pass 1: rows holding NaN/±Inf — an error naming the first, or (`--non-finite skip`) dropped and logged. */
async function nonFiniteRows(
  ds: LanceDataset,
  o: AnalyzeOptions,
  batch: number,
  log: (l: string) => void,
): Promise<{ finite: Uint8Array; dropped: DroppedRows }> {
  const bad: { row: number; id: string }[] = [];
  const finite = new Uint8Array(ds.n).fill(1);
  for await (const { first, x } of ds.scan(batch))
    for (let i = 0; i < x.n; i++)
      for (let j = 0; j < x.d; j++) {
        const v = x.data[i * x.d + j];
        if (Number.isFinite(v)) continue;
        if (o.nonFinite !== 'skip')
          throw new CladeError(`non-finite value (${v}) in column ${j} (id ${ds.ids[first + i]})`, {
            file: o.embeddings,
            row: first + i,
          });
        bad.push({ row: first + i, id: ds.ids[first + i] });
        finite[first + i] = 0;
        break;
      }
  const dropped = { count: bad.length, rows: bad };
  logDropped(dropped, o.embeddings, log);
  return { finite, dropped };
}

/** The rows kept (finite), their metadata labels and the split (as `clade analyze` makes it), before any search. */
export async function splitRows(
  ds: LanceDataset,
  o: AnalyzeOptions,
  batch: number,
  log: (l: string) => void,
) {
  const { finite, dropped } = await nonFiniteRows(ds, o, batch, log);
  const keptRows = new Int32Array(ds.n - dropped.count);
  for (let r = 0, at = 0; r < ds.n; r++) if (finite[r]) keptRows[at++] = r;
  const meta = await readMetaTable(o.meta);
  const split = labelsAndSplit(
    o,
    meta,
    Array.from(keptRows, (r) => ds.ids[r]),
    keptRows,
    dropped.count,
  );
  logSingletons(split.singletons, log);
  return { dropped, keptRows, split };
}

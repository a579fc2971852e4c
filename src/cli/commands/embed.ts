import { existsSync, readFileSync } from 'node:fs';
import { CladeError } from '../../util/errors.ts';
import { progress } from '../../util/progress.ts';
import { parseArgs } from '../args.ts';
import { embedToFile } from '../../embed/embed-to-file.ts';
import { embedShard, mergeEmbedParts, parseShard, type Shard } from '../../embed/shard.ts';

const HELP = `clade embed <model-dir> <data> --out FILE [--meta CSV] [--classes CSV] [--tower image|text|tabular] [--text-type TYPE] [--offset N] [--limit N] [--class-names FILE|a,b,…] [--quiet]
clade embed <model-dir> <data> --out FILE --shard i/n [--chunk ROWS] [...]
clade embed merge FILE [PARTS...]

Embeds every image of <data> with the model directory's image tower (its exported image.onnx), preprocessed
with the model's recorded evaluation transform (resize + centre crop, bicubic, the model's mean/std).
With --tower tabular, embeds each sample's raw tabular features with tabular.onnx instead; with --tower text,
each sample's text (first caption, or --text-type TYPE of its named texts, e.g. taxon, sci_com) or each line of
a .txt file with text.onnx, tokenised with the tokenizer model.json records.

<data>:
  synthetic-taxonomy[:split[:perSpecies]]   the built-in dataset (seed and size from the model; default test:10)
  cifar10:FILE.bin, cifar100:FILE.bin        CIFAR binaries (a bare .bin is detected)
  mnist:IMAGES,LABELS                        an IDX pair (a bare *images-idx3* path finds its labels)
  DIR                                        an ImageFolder (DIR/<class>/<image>)
  FILE.csv|.tsv|.jsonl|.parquet[?image=COL&label=COL&ranks=COL,...&common=COL&...]   a manifest of image paths
                                             (label: column 'label' if present;
                                             all options: docs/datasets.md, "Data specs")
  chains:FILE.csv, hierarcaps:FILE.csv       HierarCaps-format chains / the HierarCaps test CSV
  FILE.txt                                   one text per line (--tower text)

--out by extension:
  .parquet       columns id, label, label_name, embedding (list<float>, D per row)
  .arrow         the same; embedding is FixedSizeList<Float32>[D]
  .npy           [N, D] float32, plus FILE.json with ids and labels
  .safetensors   embedding F32 [N, D], label I32 [N]; ids in the metadata
  .lance         a Lance dataset (a directory; LanceDB): id, label, label_name, embedding FixedSizeList<Float32>[D]

Sharded jobs (any batch scheduler; no server):
  --shard i/n    embed only shard i (0-based) of n: rows [floor(i·N/n), floor((i+1)·N/n)) of the N rows, into
                 FILE.parts/shard-<i>-of-<n>/ in committed chunks; run again after a kill and it continues after
                 the last committed chunk
  --chunk ROWS   rows per committed chunk (default 4096)
  merge FILE [PARTS...]   join the parts (part directories or directories of them; default FILE.parts) of all n
                 shards into FILE, the same bytes a single job writes (--meta/--classes: run them on a single job)

Options:
  --meta CSV     also write one row per sample: id, label, name and one column per taxonomic rank
                 (what 'clade analyze/zeroshot/explore --meta' read)
  --classes CSV  also write one row per class: name and ranks (what 'clade zeroshot --classes' reads)
  --limit N      only the first N samples (after --offset)
  --offset N     skip the first N samples: --offset 1000 --limit 1000 embeds samples 1000..1999 (ids unchanged)
  --class-names FILE|a,b,…   class names by label id (one per line, or a comma list), e.g. Fashion-MNIST's
                 for an IDX pair (mnist: uses the digits 0–9 otherwise)
  --quiet        no progress bar`;

/**
 * `clade embed`: embed a dataset with a model directory's image tower and write ids, labels and embeddings.
 * Returns the exit code.
 *
 * @example
 * await run(['runs/d/model', 'synthetic-taxonomy:test', '--out', 'emb.parquet']);
 */
export async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'merge') return merge(argv.slice(1));
  let a: ReturnType<typeof parseArgs>;
  try {
    a = parseArgs(argv, {
      out: 'string',
      tower: 'string',
      'text-type': 'string',
      limit: 'number',
      shard: 'string',
      chunk: 'number',
      offset: 'number',
      'class-names': 'string',
      meta: 'string',
      classes: 'string',
      quiet: 'boolean',
      help: 'boolean',
    });
  } catch (e) {
    if (!(e instanceof CladeError)) throw e;
    console.error(`clade embed: ${e.message}\n\n${HELP}`);
    return 2;
  }
  if (a.help) {
    console.log(HELP);
    return 0;
  }
  const limit = a.limit as number | undefined;
  const problem =
    a._.length !== 2
      ? 'expected <model-dir> <data>'
      : !a.out
        ? 'missing --out FILE'
        : limit !== undefined && !(Number.isInteger(limit) && limit > 0)
          ? '--limit: expected a positive integer'
          : a.offset !== undefined && !(Number.isInteger(a.offset) && (a.offset as number) >= 0)
            ? '--offset: expected a non-negative integer'
            : a.tower !== undefined && !['image', 'tabular', 'text'].includes(a.tower as string)
              ? `--tower: expected image, text or tabular, got '${a.tower}'`
              : a.shard !== undefined && (a.meta || a.classes)
                ? '--meta and --classes are written by a single job, not by --shard'
                : a.chunk !== undefined && a.shard === undefined
                  ? '--chunk goes with --shard'
                  : null;
  if (problem) {
    console.error(`clade embed: ${problem}\n\n${HELP}`);
    return 2;
  }
  const [modelDir, spec] = a._;
  const out = a.out as string;
  let shard: Shard | undefined;
  try {
    if (a.shard !== undefined) shard = parseShard(a.shard as string);
  } catch (e) {
    if (!(e instanceof CladeError)) throw e;
    console.error(`clade embed: ${e.message}\n\n${HELP}`);
    return 2;
  }
  try {
    if (shard) {
      const bar = { bar: null as ReturnType<typeof progress> | null, shown: 0 };
      const r = await embedShard(modelDir, spec, out, shard, {
        tower: a.tower as 'image' | 'tabular' | 'text' | undefined,
        textType: a['text-type'] as string | undefined,
        limit,
        offset: a.offset as number | undefined,
        classNames: a['class-names'] === undefined ? undefined : readClassNames(a['class-names'] as string),
        chunk: a.chunk as number | undefined,
        onStart: (rows, resumed) => {
          if (resumed)
            console.error(
              `clade embed: resuming shard ${shard.index}/${shard.count} at row ${resumed} of ${rows}`,
            );
          bar.bar = a.quiet ? null : progress('embed', rows, { unit: 'img' });
          bar.bar?.tick(resumed);
          bar.shown = resumed;
        },
        onProgress: (done) => {
          bar.bar?.tick(done - bar.shown);
          bar.shown = done;
        },
        log: (m) => console.error(`clade embed: ${m}`),
        warn: (m) => console.error(`clade embed: ${m}`),
      });
      bar.bar?.done();
      console.log(
        `embedded shard ${shard.index}/${shard.count} of ${r.describe}: ${r.rows} rows${r.d ? ` × ${r.d}` : ''} → ${r.dir}` +
          ` (then: clade embed merge ${out})`,
      );
      return 0;
    }
    const ui = { bar: null as ReturnType<typeof progress> | null, shown: 0 };
    const r = await embedToFile(modelDir, spec, out, {
      tower: a.tower as 'image' | 'tabular' | 'text' | undefined,
      textType: a['text-type'] as string | undefined,
      limit,
      offset: a.offset as number | undefined,
      classNames: a['class-names'] === undefined ? undefined : readClassNames(a['class-names'] as string),
      metaOut: a.meta as string | undefined,
      classesOut: a.classes as string | undefined,
      onStart: (total) => (ui.bar = a.quiet ? null : progress('embed', total, { unit: 'img' })),
      onProgress: (done) => {
        ui.bar?.tick(done - ui.shown);
        ui.shown = done;
      },
      warn: (m) => console.error(`clade embed: ${m}`),
    });
    ui.bar?.done();
    const off = (a.offset as number | undefined) ?? 0;
    const part = off ? `, samples ${off}..${off + r.n - 1}` : r.n < r.available ? `, the first ${r.n}` : '';
    console.log(`embedded ${r.describe}${part}: ${r.n} × ${r.d} → ${out}`);
    return 0;
  } catch (e) {
    if (!(e instanceof CladeError)) throw e;
    console.error(`clade embed: ${e.message}`);
    return 1;
  }
}

/** `clade embed merge FILE [PARTS...]`. */
async function merge(argv: string[]): Promise<number> {
  let a: ReturnType<typeof parseArgs>;
  try {
    a = parseArgs(argv, { help: 'boolean' });
  } catch (e) {
    if (!(e instanceof CladeError)) throw e;
    console.error(`clade embed merge: ${e.message}\n\n${HELP}`);
    return 2;
  }
  if (a.help) {
    console.log(HELP);
    return 0;
  }
  if (a._.length < 1) {
    console.error(`clade embed merge: expected FILE [PARTS...]\n\n${HELP}`);
    return 2;
  }
  const [out, ...parts] = a._;
  try {
    const r = await mergeEmbedParts(out, parts.length ? parts : undefined);
    console.log(`merged ${r.shards} shards: ${r.n} × ${r.d} → ${out}`);
    return 0;
  } catch (e) {
    if (!(e instanceof CladeError)) throw e;
    console.error(`clade embed merge: ${e.message}`);
    return 1;
  }
}

/** `--class-names`: a file with one name per line, or a comma-separated list. */
function readClassNames(v: string): string[] {
  if (existsSync(v))
    return readFileSync(v, 'utf8')
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter(Boolean);
  return v.split(',').map((s) => s.trim());
}

import { formatSummaryTable, readResults, writeReport } from '../../report/index.ts';
import { join } from 'node:path';
import { CladeError } from '../../util/errors.ts';
import { parseArgs } from '../args.ts';
import { runAnalyze } from '../../workflows/analyze.ts';
import { ANALYSES, DEFAULT_SETTINGS, type SettingsOverride } from '../../analysis/suite.ts';
import type { KnnMetric } from '../../analysis/knn.ts';
import { STANDARD_ANALYSES, type StandardAnalysis } from '../../workflows/standard-analyses.ts';
import { checkOutputDir } from '../../io/output-path.ts';
import type { AnnOptions } from '../../workflows/analyze-ann.ts';

const D = DEFAULT_SETTINGS;
const HELP = `clade analyze <embeddings> --meta <csv|parquet|npy> --label-col <column> [options]

Embeddings: .npy, .safetensors (--tensor NAME), .parquet/.arrow (fixed-size list column), a Lance dataset DIR.lance,
pybioclip embed .json.
--meta: a CSV/TSV/Parquet table, or the .npy sidecar clade embed writes (<file>.npy.json).
  --id-col COL         metadata column with each embedding's id/path (default: match rows by position)
  --split-col COL      train/test split column (--train-split train --test-split test); default seeded 80/20
  --analyses LIST      comma-separated from: ${STANDARD_ANALYSES.join(', ')}
                       (default: those needing only labels, plus variants / trait-order / attribute when their
                       column is given)
  --out DIR            where result JSON files and report.html go (default: analysis/)
  --report             also write DIR/report.html
  --seed S             seed of the 80/20 split, the probe's validation split, heads and permutations (default 0)
  --non-finite P       embedding rows holding NaN/±Inf: fail (default: an error naming file and row) | skip (dropped,
                       logged and recorded in every result's params.nonFinite)

At scale (docs/analysis.md § At scale): a Lance dataset streamed through an ANN index, knn and cluster only
(RLD sparse, homogeneity and Calinski–Harabasz over all rows), nothing N × D held in memory:
  --ann                stream DATA.lance, neighbours from a cosine IVF index
  --ann-backend B      engine (default: clade's IVF-Flat on ONNX Runtime, built for the run in a temporary file) |
                       lance (the dataset's LanceDB index, built when it has none)
  --ann-partitions P   IVF lists (default √N); --nprobes P lists searched per query (default 20)
  lance only: --ann-index ivf-pq (default) | ivf-hnsw-sq for a new index, --ann-rebuild replaces an existing one,
              --ann-sub-vectors M (PQ, default D/16), --refine-factor R (default 2)
  --ann-check N        queries whose neighbours are checked against an exact search: recall@k (default 500; 0 = none)

The seeds' analyses (clade's own operationalisation of BioCLIP 2's figures, docs/methods.md §B; all rows):
  --variant-col COL --variants A,B   intra-class variation A vs B: orthogonality ratio ρ and angle θ to the
                                     inter-class subspace, Fisher ratio, random baseline r/D
  --group-col COL                    run variants and trait-order within each group (e.g. genus) and average
  --trait-col COL                    numeric trait (class value = mean of its rows): trait-order correlation
  --attribute-col COL                attribute (e.g. habitat): separation between and within classes,
                                     --attribute-permutations N (default ${D.attribute.permutations})
  --multilabel-cols A,B,C            binary columns (1/0, true/false, yes/no): multi-label probe, mAP and
                                     macro-F1 (train → test, λ from --probe-lambdas by validation mAP)

Settings (recorded in every result's params):
  --knn-k K            weighted kNN neighbours (default ${D.knn.k}); --knn-majority-k K (default ${D.knn.majorityK})
  --knn-t T            weighted-vote temperature (default ${D.knn.temperature})
  --knn-metric M       cosine | dot | euclidean (default ${D.knn.metric})
  --rld-t LIST         RLD temperatures (default ${D.rld.temperatures.join(',')})
  --rld-normalize B    L2-normalise before RLD: true | false (default ${D.rld.normalize})
  --rld-method M       exact (the dense graph) | sparse (k neighbours + a seeded pool of partners, clade's; default
                       ${D.rld.method}); --rld-k K (default ${D.rld.k}), --rld-samples M (pool size, default ${D.rld.samples})
  --homogeneity-p LIST class-homogeneity neighbourhood sizes (default ${D.homogeneity.ps.join(',')})
  --probe-lambdas LIST linear-probe L2 grid (default ${D.probe.lambdas.join(',')}); --probe-val-fraction F (${D.probe.valFraction})
  --graph-t T          graph-head temperature (default ${D.graphHead.temperature})

Analyses (the table in src/analysis/suite.ts, docs/analysis.md; kNN, linear probe, RLD, homogeneity and the heads
run on ONNX Runtime, the rest in TypeScript):
${STANDARD_ANALYSES.map((n) => `  ${n.padEnd(16)} ${ANALYSES[n].title}`).join('\n')}`;

/** A comma-separated list of numbers, each checked. */
function numbers(
  v: unknown,
  option: string,
  check: (x: number) => boolean,
  what: string,
): number[] | undefined {
  if (v === undefined) return undefined;
  const xs = String(v)
    .split(',')
    .map((s) => s.trim());
  return xs.map((s) => {
    const x = Number(s);
    if (s === '' || !Number.isFinite(x) || !check(x))
      throw new CladeError(`expected a comma-separated list of ${what}, got '${s}'`, { option });
    return x;
  });
}

function positive(v: unknown, option: string, integer = false): number | undefined {
  if (v === undefined) return undefined;
  const x = v as number;
  if (!(x > 0) || (integer && !Number.isInteger(x)))
    throw new CladeError(`expected a positive ${integer ? 'integer' : 'number'}, got ${x}`, { option });
  return x;
}

/** The settings options, checked. */
export function settingsFromArgs(a: Record<string, unknown>): SettingsOverride {
  const metric = a['knn-metric'] as string | undefined;
  if (metric !== undefined && !['cosine', 'dot', 'euclidean'].includes(metric))
    throw new CladeError(`expected cosine, dot or euclidean, got '${metric}'`, { option: '--knn-metric' });
  const norm = a['rld-normalize'] as string | undefined;
  if (norm !== undefined && norm !== 'true' && norm !== 'false')
    throw new CladeError(`expected true or false, got '${norm}'`, { option: '--rld-normalize' });
  const method = a['rld-method'] as string | undefined;
  if (method !== undefined && method !== 'exact' && method !== 'sparse')
    throw new CladeError(`expected exact or sparse, got '${method}'`, { option: '--rld-method' });
  const samples = a['rld-samples'] as number | undefined;
  if (samples !== undefined && !(Number.isInteger(samples) && samples >= 2))
    throw new CladeError(`expected an integer ≥ 2, got ${samples}`, { option: '--rld-samples' });
  const vf = a['probe-val-fraction'] as number | undefined;
  if (vf !== undefined && !(vf >= 0 && vf < 1))
    throw new CladeError(`expected a fraction in [0, 1), got ${vf}`, { option: '--probe-val-fraction' });
  const clean = <T extends object>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  return {
    knn: clean({
      k: positive(a['knn-k'], '--knn-k', true),
      majorityK: positive(a['knn-majority-k'], '--knn-majority-k', true),
      temperature: positive(a['knn-t'], '--knn-t'),
      metric: metric as KnnMetric | undefined,
    }),
    rld: clean({
      temperatures: numbers(a['rld-t'], '--rld-t', (x) => x > 0, 'positive temperatures'),
      normalize: norm === undefined ? undefined : norm === 'true',
      method: method as 'exact' | 'sparse' | undefined,
      k: positive(a['rld-k'], '--rld-k', true),
      samples,
    }),
    homogeneity: clean({
      ps: numbers(
        a['homogeneity-p'],
        '--homogeneity-p',
        (x) => Number.isInteger(x) && x > 0,
        'positive integers',
      ),
    }),
    probe: clean({
      lambdas: numbers(a['probe-lambdas'], '--probe-lambdas', (x) => x >= 0, 'non-negative numbers'),
      valFraction: vf,
    }),
    graphHead: clean({ temperature: positive(a['graph-t'], '--graph-t') }),
    attribute: clean({
      permutations: positive(a['attribute-permutations'], '--attribute-permutations', true),
    }),
  };
}

/** The `--ann` options, checked (undefined without `--ann`; an `--ann-*` option without it is an error). */
export function annFromArgs(a: Record<string, unknown>): AnnOptions | undefined {
  const keys = [
    'ann-backend',
    'ann-index',
    'ann-partitions',
    'ann-sub-vectors',
    'ann-rebuild',
    'nprobes',
    'refine-factor',
    'ann-check',
  ];
  if (!a.ann) {
    const stray = keys.find((k) => a[k] !== undefined);
    if (stray) throw new CladeError(`--${stray} sets up --ann: add --ann`, { option: `--${stray}` });
    return undefined;
  }
  const backend = a['ann-backend'] as string | undefined;
  if (backend !== undefined && backend !== 'engine' && backend !== 'lance')
    throw new CladeError(`expected engine or lance, got '${backend}'`, { option: '--ann-backend' });
  const index = a['ann-index'] as string | undefined;
  if (index !== undefined && index !== 'ivf-pq' && index !== 'ivf-hnsw-sq')
    throw new CladeError(`expected ivf-pq or ivf-hnsw-sq, got '${index}'`, { option: '--ann-index' });
  const check = a['ann-check'] as number | undefined;
  if (check !== undefined && !(Number.isInteger(check) && check >= 0))
    throw new CladeError(`expected a non-negative integer, got ${check}`, { option: '--ann-check' });
  return {
    backend: backend as AnnOptions['backend'],
    index: index as AnnOptions['index'],
    partitions: positive(a['ann-partitions'], '--ann-partitions', true),
    subVectors: positive(a['ann-sub-vectors'], '--ann-sub-vectors', true),
    rebuild: Boolean(a['ann-rebuild']),
    nprobes: positive(a.nprobes, '--nprobes', true),
    refineFactor: positive(a['refine-factor'], '--refine-factor', true),
    check,
  };
}

export async function run(argv: string[]): Promise<number> {
  const a = parseArgs(argv, {
    meta: 'string',
    'id-col': 'string',
    'label-col': 'string',
    'split-col': 'string',
    'train-split': 'string',
    'test-split': 'string',
    tensor: 'string',
    analyses: 'string',
    out: 'string',
    seed: 'number',
    report: 'boolean',
    'variant-col': 'string',
    variants: 'string',
    'group-col': 'string',
    'trait-col': 'string',
    'attribute-col': 'string',
    'multilabel-cols': 'string',
    'attribute-permutations': 'number',
    'knn-k': 'number',
    'knn-majority-k': 'number',
    'knn-t': 'number',
    'knn-metric': 'string',
    'rld-t': 'string',
    'rld-normalize': 'string',
    'rld-method': 'string',
    'rld-k': 'number',
    'rld-samples': 'number',
    'non-finite': 'string',
    ann: 'boolean',
    'ann-backend': 'string',
    'ann-index': 'string',
    'ann-partitions': 'number',
    'ann-sub-vectors': 'number',
    'ann-rebuild': 'boolean',
    nprobes: 'number',
    'refine-factor': 'number',
    'ann-check': 'number',
    'homogeneity-p': 'string',
    'probe-lambdas': 'string',
    'probe-val-fraction': 'number',
    'graph-t': 'number',
    help: 'boolean',
  });
  if (a.help || a._.length !== 1 || !a.meta || !a['label-col']) {
    console.log(HELP);
    return a.help ? 0 : 2;
  }
  const analyses = (a.analyses as string | undefined)?.split(',').map((x) => x.trim());
  for (const x of analyses ?? [])
    if (!STANDARD_ANALYSES.includes(x as StandardAnalysis))
      throw new CladeError(`unknown analysis '${x}'; expected one of ${STANDARD_ANALYSES.join(', ')}`, {
        option: '--analyses',
      });
  let variants: [string, string] | undefined;
  if (a.variants !== undefined) {
    const v = String(a.variants)
      .split(',')
      .map((s) => s.trim());
    if (v.length !== 2 || !v[0] || !v[1] || v[0] === v[1])
      throw new CladeError(`expected two different variants as A,B, got '${a.variants}'`, {
        option: '--variants',
      });
    variants = [v[0], v[1]];
  }
  const settings = settingsFromArgs(a);
  const nonFinite = a['non-finite'] as string | undefined;
  if (nonFinite !== undefined && nonFinite !== 'fail' && nonFinite !== 'skip')
    throw new CladeError(`expected fail or skip, got '${nonFinite}'`, { option: '--non-finite' });
  const ann = annFromArgs(a);
  const outDir = (a.out as string | undefined) ?? 'analysis';
  checkOutputDir(outDir, 'the result directory');
  await runAnalyze({
    embeddings: a._[0],
    meta: a.meta as string,
    idCol: a['id-col'] as string | undefined,
    labelCol: a['label-col'] as string,
    splitCol: a['split-col'] as string | undefined,
    trainSplit: a['train-split'] as string | undefined,
    testSplit: a['test-split'] as string | undefined,
    tensor: a.tensor as string | undefined,
    analyses: analyses as StandardAnalysis[] | undefined,
    variantCol: a['variant-col'] as string | undefined,
    variants,
    groupCol: a['group-col'] as string | undefined,
    traitCol: a['trait-col'] as string | undefined,
    attributeCol: a['attribute-col'] as string | undefined,
    multiLabelCols: (a['multilabel-cols'] as string | undefined)?.split(',').map((c) => c.trim()),
    settings,
    nonFinite: nonFinite as 'fail' | 'skip' | undefined,
    ann,
    outDir,
    seed: a.seed as number | undefined,
    log: (l) => console.error(l),
  });
  const results = readResults(outDir);
  console.log(formatSummaryTable(results));
  if (a.report) {
    await writeReport(join(outDir, 'report.html'), results, { title: `clade analyze — ${a._[0]}` });
    console.log(`report: ${join(outDir, 'report.html')}`);
  }
  return 0;
}

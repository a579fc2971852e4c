/**
 * The emergent study's penguins arm: sex within species on the Palmer penguins table. Per seed, `clade train
 * multiview-penguins` (tabular-only CMC) for a few step counts plus the untrained encoder, `clade embed --tower
 * tabular` of every complete row, and `clade analyze --analyses variants,knn --variant-col sex --variants
 * female,male`; the raw standardised measurements are the seed-free baseline.
 */
import { join } from 'node:path';
import { readCsv } from '../../src/data/readers/csv.ts';
import { writeNpy } from '../../src/io/index.ts';
import { readEmbedNpy, resultsByKind, writeCsv } from './lib/files.ts';
import { lineSvg } from './lib/plots.ts';
import { fmt, mdTable, mean, std, type StudyContext } from './lib/study.ts';

const DIR = '../shared/datasets/palmer-penguins';
const FILE = `${DIR}/penguins.csv`;
const MEASURES = ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g'];
/** Every row with all four measurements (the rows `dataset: 'palmer-penguins'` trains on, without its split). */
const EMBED_SPEC = `${FILE}?image=none&ranks=species&tabular=${MEASURES.join(',')}&dropMissing=${MEASURES.join(',')}`;

/** One `clade analyze` of one embedding: the `variants` result (sex within species) and kNN species top-1. */
interface Measured {
  readonly ratio: number;
  readonly angleDeg: number;
  readonly fisher: number;
  readonly baseline: number;
  /** ρ / (r/D): 1 = as inside the species subspace as a random direction. */
  readonly relative: number;
  readonly knnSpecies: number;
}

export interface PenguinRun extends Measured {
  readonly seed: number;
  /** Training steps (0 = the untrained encoder). */
  readonly steps: number;
  readonly seconds: number;
}

async function analyze(ctx: StudyContext, emb: string, meta: string, out: string): Promise<Measured> {
  await ctx.clade.run([
    'analyze',
    emb,
    '--meta',
    meta,
    '--label-col',
    'species',
    '--analyses',
    'variants,knn',
    '--variant-col',
    'sex',
    '--variants',
    'female,male',
    '--knn-k',
    '10',
    '--out',
    out,
  ]);
  const r = resultsByKind(out);
  const o = r.orthogonality.metrics;
  return {
    ratio: o.meanRatio,
    angleDeg: o.meanAngleDeg,
    fisher: o.meanFisher,
    baseline: o.randomBaseline,
    relative: o.meanRatio / o.randomBaseline,
    knnSpecies: r.knn.metrics.top1,
  };
}

/**
 * meta.csv (species, sex of each embedded row, read from penguins.csv by the row number in the embedding's ids
 * `FILE#n`) and raw.npy (the four measurements standardised over those rows), written once.
 */
function tables(work: string, ids: readonly string[]): { meta: string; raw: string; noSex: number } {
  const t = readCsv(FILE);
  const col = (name: string) => t.header.indexOf(name);
  const rows = ids.map((id) => {
    const n = Number(id.slice(id.lastIndexOf('#') + 1));
    const row = t.rows[n - 1];
    if (!Number.isInteger(n) || !row) throw new Error(`embedding id '${id}' names no row of ${FILE}`);
    return row;
  });
  const meta = join(work, 'penguins-meta.csv');
  const sex = rows.map((r) => (r[col('sex')] === 'NA' ? '' : r[col('sex')]));
  writeCsv(
    meta,
    ['id', 'species', 'sex'],
    rows.map((r, i) => [ids[i], r[col('species')], sex[i]]),
  );
  const F = MEASURES.length;
  const x = new Float32Array(rows.length * F);
  MEASURES.forEach((m, j) => {
    const v = rows.map((r) => Number(r[col(m)]));
    const mu = mean(v);
    const sd = std(v);
    v.forEach((a, i) => (x[i * F + j] = (a - mu) / sd));
  });
  const raw = join(work, 'penguins-raw.npy');
  writeNpy(raw, x, [rows.length, F]);
  return { meta, raw, noSex: sex.filter((v) => !v).length };
}

/** Runs the arm; returns its numbers, its Markdown section and its plot. */
export async function penguinsArm(ctx: StudyContext) {
  const seeds = ctx.short ? [0] : [0, 1, 2, 3, 4];
  const budgets = ctx.short ? [5] : [100, 300, 1000];
  const runs: PenguinRun[] = [];
  let files: { meta: string; raw: string; noSex: number; ids: string[] } | null = null;
  for (const seed of seeds)
    for (const steps of [0, ...budgets]) {
      const dir = join(ctx.work, `penguins-seed${seed}-steps${steps}`);
      const t0 = performance.now();
      await ctx.clade.run([
        'train',
        'multiview-penguins',
        '--out',
        dir,
        `--recipeConfig.seed=${seed}`,
        `--train.seed=${seed}`,
        // the untrained encoder: one step at lr 1e-12 (the CLI exports a model at the end of a run)
        ...(steps ? [`--train.steps=${steps}`] : ['--train.steps=1', '--train.lr=1e-12']),
      ]);
      const emb = join(dir, 'penguins.npy');
      await ctx.clade.run([
        'embed',
        join(dir, 'model'),
        EMBED_SPEC,
        '--tower',
        'tabular',
        '--out',
        emb,
        '--quiet',
      ]);
      const ids = readEmbedNpy(emb).ids;
      if (!files) files = { ...tables(ctx.work, ids), ids };
      else if (ids.join('\n') !== files.ids.join('\n'))
        throw new Error(`${emb}: rows differ from the first embedding`);
      const m = await analyze(ctx, emb, files.meta, join(dir, 'analysis'));
      runs.push({ seed, steps, seconds: Math.round((performance.now() - t0) / 1000), ...m });
    }
  const raw = await analyze(ctx, files!.raw, files!.meta, join(ctx.work, 'penguins-raw-analysis'));
  const rows = files!.ids.length;

  const arms = [0, ...budgets].map((steps) => {
    const rs = runs.filter((r) => r.steps === steps);
    const ms = (k: keyof Measured) => ({
      mean: mean(rs.map((r) => r[k])),
      std: std(rs.map((r) => r[k])),
    });
    return {
      arm: steps ? `${steps} steps` : 'untrained',
      steps,
      ratio: ms('ratio'),
      angleDeg: ms('angleDeg'),
      fisher: ms('fisher'),
      relative: ms('relative'),
      knnSpecies: ms('knnSpecies'),
      baseline: rs[0].baseline,
    };
  });
  const last = budgets[budgets.length - 1];
  const at = (seed: number, steps: number) => runs.find((r) => r.seed === seed && r.steps === steps)!.ratio;
  const falling = seeds.filter((s) =>
    budgets.every((b, i) => at(s, b) < (i ? at(s, budgets[i - 1]) : at(s, 0))),
  );
  const belowUntrained = seeds.filter((s) => at(s, last) < at(s, 0));

  const label = (steps: number) => (steps ? `${steps} steps` : 'untrained');
  const order = ['raw features', ...[0, ...budgets].map(label)];
  const plot = await lineSvg({
    title: 'Penguins: sex shift inside the species subspace, relative to random',
    x: 'encoder',
    y: 'ρ / (r/D)  (1 = random direction)',
    xType: 'ordinal',
    xSort: order,
    yZero: true,
    points: [
      ...seeds.flatMap((s) => [
        { x: 'raw features', y: raw.relative, series: `seed ${s}` },
        ...runs
          .filter((r) => r.seed === s)
          .map((r) => ({ x: label(r.steps), y: r.relative, series: `seed ${s}` })),
      ]),
      ...order.map((x) => ({ x, y: 1, series: 'random direction' })),
    ],
  });
  const pm = (v: { mean: number; std: number }, d = 3) => `${fmt(v.mean, d)} ± ${fmt(v.std, d)}`;
  const section = `
## Penguins: sex within species (multiview-tabular)

The Palmer penguins table (../shared/datasets/palmer-penguins: 344 birds of 3 species, all genus *Pygoscelis*; the
2 birds without measurements are left out, ${rows} rows remain, of which the ${files!.noSex} without a recorded sex count
for species but not for sex). Per seed S (${seeds.join(', ')}): \`clade train multiview-penguins --recipeConfig.seed=S
--train.seed=S --train.steps=N\` for N = ${budgets.join(', ')} — \`multiview-tabular\` with \`dataset:
'palmer-penguins'\`, two SCARF views (30 % of the 4 measurements replaced by draws from their marginals, 10 % noise)
of each bird contrasted with CMC, a 32-d embedding, batch 64, the seeded 80 % training split — and the untrained
encoder (the same command with one step at lr 1e-12); then \`clade embed MODEL '${EMBED_SPEC}' --tower tabular\`
(all ${rows} rows) and \`clade analyze EMB --meta META --label-col species --analyses variants,knn --variant-col sex
--variants female,male --knn-k 10\`. The raw baseline is the four measurements standardised over the ${rows} rows
(D = 4), analysed the same way. ρ is the share of the female→male mean shift of a species inside the span of the
3 species means (r = 2; unweighted mean over the 3 species); the random-direction baseline is r/D (${fmt(raw.baseline)}
for the raw features, ${fmt(arms[0].baseline)} for the 32-d embeddings), so ρ / (r/D) compares the two. With one
genus there is nothing to group by (\`--group-col\` would group species by genus).

${mdTable(
  ['encoder', 'sex ρ', 'ρ / (r/D)', 'angle', 'Fisher (δ⊥)', 'random r/D', 'kNN species (k 10)'],
  [
    [
      'raw standardised features',
      fmt(raw.ratio),
      fmt(raw.relative, 2),
      `${fmt(raw.angleDeg, 1)}°`,
      fmt(raw.fisher, 2),
      fmt(raw.baseline),
      fmt(raw.knnSpecies),
    ],
    ...arms.map((a) => [
      a.arm,
      pm(a.ratio),
      pm(a.relative, 2),
      `${pm(a.angleDeg, 1)}°`,
      pm(a.fisher, 2),
      fmt(a.baseline),
      pm(a.knnSpecies),
    ]),
  ],
)}

Mean ± standard deviation over the ${seeds.length} seeds (population std). Per run:

${mdTable(
  ['seed', ...[0, ...budgets].map((b) => `ρ ${label(b)}`), 'time (s): train + embed + analyze, all budgets'],
  seeds.map((s) => {
    const rs = runs.filter((r) => r.seed === s);
    return [s, ...rs.map((r) => fmt(r.ratio)), rs.reduce((a, r) => a + r.seconds, 0)];
  }),
)}

![penguins](emergent-penguins.svg)

ρ falls at every step count from the untrained encoder through ${budgets.join(' → ')} steps in ${falling.length} of
${seeds.length} seeds, and is lower after ${last} steps than untrained in ${belowUntrained.length} of ${seeds.length}; the
raw features' ρ / (r/D) is ${fmt(raw.relative, 2)}, the ${last}-step encoders' ${fmt(arms[arms.length - 1].relative.mean, 2)}.
The scale axis here is training steps on one small table, not data scale.
`;
  return {
    seeds,
    data: {
      spec: EMBED_SPEC,
      rows,
      rowsWithoutSex: files!.noSex,
      budgets,
      raw,
      arms,
      runs,
      fallingSeeds: falling,
      belowUntrainedSeeds: belowUntrained,
    },
    section,
    plots: { 'emergent-penguins.svg': plot },
  };
}

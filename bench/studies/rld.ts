/**
 * rld — "How does contrastive learning organize images?" (arXiv 2305.10229, docs/methods.md §E) on CIFAR-100:
 * a supervised and a SimCLR encoder of the same architecture (the `supervised-cifar` and `simclr-cifar` presets),
 * RLD, Calinski–Harabasz and class homogeneity at the end and over training, and the graph head vs the linear head.
 *
 * Over training: each run trains in stages (`clade train --stop-after S` / `--resume`, a checkpoint at every stage)
 * and `clade export` writes a model directory per stage; `clade embed` + `clade analyze --analyses cluster` measure
 * it on the first 2,000 test records. The resumed run is the uninterrupted one (resume is exact, docs/configs.md).
 */
import { join } from 'node:path';
import { cifar100Labels, CIFAR100, embedCifar100Split } from './lib/cifar.ts';
import type { Clade } from './lib/cli.ts';
import { resultsByKind, writeCsv } from './lib/files.ts';
import { lineSvg, type LinePoint } from './lib/plots.ts';
import { fmt, mdTable, pct, type Study, type StudyContext, type StudyOutput } from './lib/study.ts';

const TEMPS = ['1', '0.5', '0.2', '0.1'];
const PS = [1, 10, 100, 500, 1000];
type Cluster = Record<string, number>;

interface Model {
  readonly preset: 'supervised-cifar' | 'simclr-cifar';
  readonly label: string;
  readonly steps: number;
  readonly stage: number;
}

/** `clade analyze` with the cluster analyses (RLD, CH, homogeneity) on the test rows, for one label column. */
async function analyze(
  clade: Clade,
  npy: string,
  meta: string,
  label: string,
  analyses: string,
  out: string,
  split = 'split',
) {
  await clade.run([
    'analyze',
    npy,
    '--meta',
    meta,
    '--label-col',
    label,
    '--split-col',
    split,
    '--analyses',
    analyses,
    '--out',
    out,
  ]);
  return resultsByKind(out);
}

async function run(ctx: StudyContext): Promise<StudyOutput> {
  const { clade, work, short } = ctx;
  const seed = 0;
  const models: Model[] = short
    ? [
        { preset: 'supervised-cifar', label: 'supervised', steps: 4, stage: 2 },
        { preset: 'simclr-cifar', label: 'SimCLR', steps: 4, stage: 2 },
      ]
    : [
        { preset: 'supervised-cifar', label: 'supervised', steps: 800, stage: 200 },
        { preset: 'simclr-cifar', label: 'SimCLR', steps: 2000, stage: 400 },
      ];
  const traj = short ? { train: 20, test: 200 } : { train: 100, test: 2000 };
  const final = short ? { train: 300, test: 200 } : { train: 20000, test: 10000 };
  const graph = short ? { train: 100, test: 50 } : { train: 1600, test: 400 };
  const shortData = short ? ['--recipeConfig.limit=512', '--recipeConfig.batchSize=32'] : [];

  const out: Record<string, unknown> = {};
  const trajectories: Record<string, { step: number; fine: Cluster; coarse: Cluster }[]> = {};
  const finals: Record<
    string,
    { fine: Cluster; coarse: Cluster; knnFine: number; knnCoarse: number; graph: Cluster }
  > = {};
  for (const m of models) {
    const runDir = join(work, m.preset);
    const points: { step: number; fine: Cluster; coarse: Cluster }[] = [];
    const measure = async (step: number, model: string) => {
      const dir = join(work, `${m.preset}-eval-${step}`);
      const e = await embedCifar100Split(clade, model, dir, traj.train, traj.test);
      const fine = await analyze(clade, e.npy, e.meta, 'fine', 'cluster', join(dir, 'fine'));
      const coarse = await analyze(clade, e.npy, e.meta, 'coarse', 'cluster', join(dir, 'coarse'));
      points.push({
        step,
        fine: fine['cluster-structure'].metrics,
        coarse: coarse['cluster-structure'].metrics,
      });
    };
    // Step ≈ 0: one step at lr 1e-30 (the trainer has no step-0 export; BatchNorm statistics see one batch).
    const init = join(work, `${m.preset}-init`);
    await clade.run([
      'train',
      m.preset,
      '--out',
      init,
      '--quiet',
      `--train.seed=${seed}`,
      '--train.steps=1',
      '--train.warmup=0',
      '--train.lr=1e-30',
      '--train.checkpointEvery=1',
      ...shortData,
    ]);
    await measure(0, join(init, 'model'));
    for (let step = m.stage; step <= m.steps; step += m.stage) {
      await clade.run(
        step === m.stage
          ? [
              'train',
              m.preset,
              '--out',
              runDir,
              '--quiet',
              `--train.seed=${seed}`,
              `--train.steps=${m.steps}`,
              `--train.checkpointEvery=${m.stage}`,
              '--stop-after',
              String(m.stage),
              ...(short ? ['--train.warmup=1', ...shortData] : []),
            ]
          : ['train', '--out', runDir, '--resume', '--quiet', '--stop-after', String(m.stage)],
      );
      const model = join(runDir, `model-step${step}`);
      await clade.run(['export', runDir, '--out', model]);
      await measure(step, model);
    }
    trajectories[m.label] = points;

    // Final model: kNN and cluster structure on the full split, graph head vs linear head on a subset.
    const model = join(runDir, `model-step${m.steps}`);
    const dir = join(work, `${m.preset}-final`);
    const e = await embedCifar100Split(clade, model, dir, final.train, final.test);
    const fine = await analyze(clade, e.npy, e.meta, 'fine', 'knn,cluster', join(dir, 'fine'));
    const coarse = await analyze(clade, e.npy, e.meta, 'coarse', 'knn,cluster', join(dir, 'coarse'));
    const tr = cifar100Labels(join(CIFAR100, 'train.bin'), e.trainN);
    const te = cifar100Labels(join(CIFAR100, 'test.bin'), e.testN);
    const gMeta = join(dir, 'graph.csv');
    writeCsv(
      gMeta,
      ['fine', 'coarse', 'gsplit'],
      [
        ...tr.fine.map((f, i) => [f, tr.coarse[i], i < graph.train ? 'train' : 'none']),
        ...te.fine.map((f, i) => [f, te.coarse[i], i < graph.test ? 'test' : 'none']),
      ],
    );
    const g = await analyze(clade, e.npy, gMeta, 'coarse', 'graph-head', join(dir, 'graph'), 'gsplit');
    finals[m.label] = {
      fine: fine['cluster-structure'].metrics,
      coarse: coarse['cluster-structure'].metrics,
      knnFine: fine.knn.metrics.top1,
      knnCoarse: coarse.knn.metrics.top1,
      graph: g['graph-head'].metrics,
    };
  }
  out.trajectories = trajectories;
  out.finals = finals;

  const labels = models.map((m) => m.label);
  const trajPoints = (key: string, rank: 'fine' | 'coarse'): LinePoint[] =>
    labels.flatMap((l) => trajectories[l].map((p) => ({ x: p.step, y: p[rank][key], series: l })));
  const plots = {
    'rld-trajectory-rld.svg': await lineSvg({
      title: 'RLD (T = 0.1) over training, 100 classes, 2,000 test images',
      x: 'training step',
      y: 'RLD T = 0.1',
      points: trajPoints('rld_T0.1', 'fine'),
    }),
    'rld-trajectory-ch.svg': await lineSvg({
      title: 'Calinski–Harabasz over training, 100 classes, 2,000 test images',
      x: 'training step',
      y: 'Calinski–Harabasz',
      points: trajPoints('calinskiHarabasz', 'fine'),
    }),
    'rld-homogeneity.svg': await lineSvg({
      title: 'Class homogeneity of the final encoders (20 superclasses, test set)',
      x: 'neighbourhood size p',
      y: 'fraction of p neighbours in the same superclass',
      logX: true,
      points: labels.flatMap((l) =>
        PS.filter((p) => finals[l].coarse[`homogeneity_p${p}`] !== undefined).map((p) => ({
          x: p,
          y: finals[l].coarse[`homogeneity_p${p}`],
          series: l,
        })),
      ),
    }),
  };

  const clusterRow = (name: string, c: Cluster) => [
    name,
    ...TEMPS.map((t) => fmt(c[`rld_T${t}`], 4)),
    fmt(c.calinskiHarabasz, 1),
  ];
  const homRow = (name: string, c: Cluster) => [name, ...PS.map((p) => fmt(c[`homogeneity_p${p}`]))];
  const body = `
## What was run

CIFAR-100 (\`../shared/datasets/cifar-100\`; the CIFAR-10 set in ../shared is its test batch only, and clade's CIFAR
recipes read CIFAR-100 binaries only, so this study uses CIFAR-100: 100 classes, 20 superclasses). Two encoders with the
same small CNN (32-64-128 with BatchNorm, 128-d): \`clade train supervised-cifar\` (cross-entropy, label smoothing 0.1,
${models[0].steps} steps of 128) and \`clade train simclr-cifar\` (NT-Xent τ 0.2, ${models[1].steps} steps of 128), seed
${seed}, each trained in stages of ${models[0].stage} / ${models[1].stage} steps (\`--stop-after\` + \`--resume\`) and
exported at every stage (\`clade export RUN --out RUN/model-stepN\`); step 0 = one step at lr 1e-30.
Measurements (\`clade embed\` + \`clade analyze\`): over training, \`--analyses cluster\` on the first ${traj.test} test
records (fine labels: ${traj.test / 100} per class; coarse: ${traj.test / 20} per superclass); at the end, \`knn,cluster\`
with the first ${final.train} training records as the kNN memory and the first ${final.test} test records as queries
and as the set RLD / CH / homogeneity are computed on; \`graph-head\` (GCN label propagation over the RLD graph at
T = 0.1 vs the paper's linear head, clade's validation-split selection) on ${graph.train} training + ${graph.test}
test nodes, 20 superclasses.

## Final encoders

RLD (exact) and Calinski–Harabasz on the test set:

${mdTable(
  ['encoder, labels', ...TEMPS.map((t) => `RLD T=${t}`), 'CH'],
  labels.flatMap((l) => [
    clusterRow(`${l}, 100 classes`, finals[l].fine),
    clusterRow(`${l}, 20 superclasses`, finals[l].coarse),
  ]),
)}

Class homogeneity (share of a test image's p nearest test neighbours, cosine, in its class):

${mdTable(
  ['encoder, labels', ...PS.map((p) => `p=${p}`)],
  labels.flatMap((l) => [
    homRow(`${l}, 100 classes`, finals[l].fine),
    homRow(`${l}, 20 superclasses`, finals[l].coarse),
  ]),
)}

kNN (k = 200, T = 0.1) and the heads:

${mdTable(
  [
    'encoder',
    'kNN fine',
    'kNN coarse',
    'graph head (coarse)',
    'parameters',
    'linear head (coarse)',
    'parameters',
  ],
  labels.map((l) => [
    l,
    pct(finals[l].knnFine),
    pct(finals[l].knnCoarse),
    pct(finals[l].graph.graphTop1),
    finals[l].graph.graphParameters,
    pct(finals[l].graph.linearTop1),
    finals[l].graph.linearParameters,
  ]),
)}

![homogeneity](rld-homogeneity.svg)

## Over training

${mdTable(
  ['encoder', 'step', 'RLD T=1', 'RLD T=0.2', 'RLD T=0.1', 'CH', 'homogeneity p=10'],
  labels.flatMap((l) =>
    trajectories[l].map((p) => [
      l,
      p.step,
      fmt(p.fine.rld_T1, 4),
      fmt(p.fine['rld_T0.2'], 4),
      fmt(p.fine['rld_T0.1'], 4),
      fmt(p.fine.calinskiHarabasz, 1),
      fmt(p.fine.homogeneity_p10),
    ]),
  ),
)}

(100 classes, ${traj.test} test images.)

![RLD over training](rld-trajectory-rld.svg)
![CH over training](rld-trajectory-ch.svg)

## The paper's figures (docs/methods.md §E.8, the authors' saved notebooks; CIFAR-10, ViT, 1,200 / 600 epochs)

| setting | paper | clade (this page) |
|---|---|---|
| class homogeneity p = 1 → 1000, contrastive vs supervised | 0.873 → 0.527 vs 0.990 → 0.988 | SimCLR ${fmt(finals.SimCLR.coarse.homogeneity_p1)} → ${fmt(finals.SimCLR.coarse.homogeneity_p1000 ?? finals.SimCLR.coarse.homogeneity_p500)} vs supervised ${fmt(finals.supervised.coarse.homogeneity_p1)} → ${fmt(finals.supervised.coarse.homogeneity_p1000 ?? finals.supervised.coarse.homogeneity_p500)} (20 superclasses, test set) |
| graph head vs linear head on contrastive features | 0.857 vs 0.864 (best test accuracy seen) | ${pct(finals.SimCLR.graph.graphTop1)} vs ${pct(finals.SimCLR.graph.linearTop1)} % (validation-selected, 20 superclasses) |
| parameters, graph head vs linear | 652 vs 5,130 (C = 10, D = 512) | ${finals.SimCLR.graph.graphParameters} vs ${finals.SimCLR.graph.linearParameters} (C = 20, D = 128) |
| one contrastive run: CH, RLD (T = 0.1) | CH 552 → 21.3 → 7.9 while RLD .127 → .827 → .746 (epochs 0 / 600 / 1200) | SimCLR CH ${trajectories.SimCLR.map((p) => fmt(p.fine.calinskiHarabasz, 1)).join(' → ')}, RLD ${trajectories.SimCLR.map((p) => fmt(p.fine['rld_T0.1'])).join(' → ')} (steps ${trajectories.SimCLR.map((p) => p.step).join(' / ')}) |

The paper's runs are 1,200 (contrastive) and 600 (supervised) epochs of a 16-layer ViT on 50k CIFAR-10 images;
these are ≈ ${((models[1].steps * 128) / 20000).toFixed(0)} and ${((models[0].steps * 128) / 20000).toFixed(0)} epochs of a 3-layer CNN on the 20k CIFAR-100 training records in
../shared, so the trajectory covers the paper's first few epochs at most.

## Not built (what the CLI lacks)

- CIFAR-10 training: the CIFAR recipes read CIFAR-100 binaries only (\`readCifar100\`); ../shared has CIFAR-10's
  test batch only anyway (an 8k/2k split would need a recipe option for CIFAR-10 and a record range).
- A step-0 export: \`clade train\` cannot export before the first step, hence the lr 1e-30 step.
- \`clade analyze --analyses cluster\` measures the test split only, and its class-homogeneity p list is fixed
  (1, 10, 100, 500, 1000); the paper measures on the training set.
`;
  return {
    title:
      'Study: how contrastive learning organizes images — RLD, CH, class homogeneity, graph head (CIFAR-100)',
    seeds: [seed],
    data: { models, trajectorySet: traj, finalSet: final, graphSet: graph, ...out },
    body,
    plots,
  };
}

export const rldStudy: Study = {
  name: 'rld',
  about: 'RLD / CH / class homogeneity / graph head: supervised vs SimCLR on CIFAR-100, over training',
  run,
};

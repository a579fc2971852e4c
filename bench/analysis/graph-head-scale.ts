/**
 * `node bin/run-ts.mjs bench/analysis/graph-head-scale.ts [--n 60000] [--d 512] [--classes 100] [--k 20]
 *  [--graph knn|dense]`
 *
 * The graph head alone at `n` nodes (80/20 train/test split of a seeded Gaussian mixture, as `clade analyze`
 * splits): graph build time, training steps and time, test top-1, the kNN graph's kept weight, peak RSS.
 */
import { graphHead } from '../../src/analysis/graph-head.ts';
import { takeRows } from '../../src/io/embeddings.ts';
import { Rng } from '../../src/util/rng.ts';
import { mixture } from './mixture.ts';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const n = Number(opt('n') ?? 60000);
const d = Number(opt('d') ?? 512);
const { x, y } = mixture(new Rng(1), n, d, Number(opt('classes') ?? 100), Number(opt('spread') ?? 5));
const perm = new Rng(0).permutation(n);
const cut = Math.round(0.8 * n);
const tr = perm.subarray(0, cut);
const te = perm.subarray(cut);
const t0 = performance.now();
const r = await graphHead(
  takeRows(x, tr),
  Int32Array.from(tr, (i) => y[i]),
  takeRows(x, te),
  Int32Array.from(te, (i) => y[i]),
  {
    temperature: 0.1,
    k: opt('k') ? Number(opt('k')) : undefined,
    graph: (opt('graph') as 'knn' | 'dense' | undefined) ?? 'auto',
  },
);
const seconds = (performance.now() - t0) / 1000;
console.log(
  JSON.stringify({
    n,
    d,
    graph: r.graph,
    steps: r.steps,
    bestStep: r.bestStep,
    testTop1: r.testTop1,
    parameters: r.parameters,
    seconds,
    secondsPerStep: (seconds - r.graph.seconds) / r.steps,
    peakRssGB: process.resourceUsage().maxRSS / 2 ** 20,
  }),
);

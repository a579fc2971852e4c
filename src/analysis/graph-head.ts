import { defineGraph, input, type Tensor } from '../engine/index.ts';
import type { Embeddings } from '../io/embeddings.ts';
import { adamw } from '../optim/adamw.ts';
import { CladeError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { graphRunner, type Backend, type Feed } from './backend.ts';
import { FullBatchFit, type HostFloats } from './full-batch.ts';
import {
  denseGraph,
  graphHeadInit,
  graphHeadLogits,
  graphHeadParameters,
  graphHeadShapes,
  knnGraph,
  maskedCrossEntropy,
  type Propagate,
} from './graph-head-net.ts';
import { checkTrainTest } from './labels.ts';
import type { HeadResult, HeadSelection } from './linear-head.ts';
import { mutualSoftmaxGraph, mutualSoftmaxKnnGraph, normalizeGraph } from './rld-graph.ts';

export { graphHeadParameters };

function accuracy(
  logits: HostFloats,
  C: number,
  nodes: ArrayLike<number>,
  labels: ArrayLike<number>,
): number {
  let ok = 0;
  for (let q = 0; q < nodes.length; q++) {
    const i = nodes[q];
    let arg = 0;
    for (let c = 1; c < C; c++) if (logits[i * C + c] > logits[i * C + arg]) arg = c;
    if (arg === labels[i]) ok++;
  }
  return nodes.length ? ok / nodes.length : NaN;
}

export interface GraphHeadOptions extends Omit<HeadSelection, 'mode'> {
  /** `validation` (default) or `reference` (see `HeadSelection`). */
  mode?: 'validation' | 'reference';
  /** Graph temperature (0.1 or 0.2 in the reference). */
  temperature?: number;
  /** Range of the per-step masking fraction of training nodes (default [0.05, 0.6]). */
  mask?: readonly [number, number];
  labelSmoothing?: number;
  lr?: number;
  patience?: number;
  maxSteps?: number;
  /** `dense`: the paper's `n × n` RLD graph; `knn`: its sparse kNN stand-in (`mutualSoftmaxKnnGraph`); `auto`
   *  (default): dense up to `maxNodes` nodes, kNN above. */
  graph?: 'auto' | 'dense' | 'knn';
  /** Largest node count (train + test) for the dense graph (default 8,000: 256 MB). */
  maxNodes?: number;
  /** kNN graph: neighbours per node (default 20) and sampled partners per row for the degrees (default 256). */
  k?: number;
  samples?: number;
  /** Where each step runs: `ort` (default, float32) or `js` (the engine's float64 interpreter; small graphs). */
  backend?: Backend;
}

/**
 * The GCN graph head of arXiv 2305.10229 (docs/methods.md): transductive label propagation over the dense RLD graph
 * of all train + test embeddings. Nodes carry learned 16-d label-token embeddings (test nodes and a random fraction
 * `p ~ U(mask)` of training nodes are "unknown"); two DGL-style GraphConv layers with a learnable self-loop weight
 * λ (init 0), BatchNorm + SELU + residual after the first; cross-entropy on the masked training nodes; full-batch
 * AdamW lr 0.1 (weight decay 0.01 on every parameter, as `torch.optim.AdamW(model.parameters())`). The network is
 * engine code (graph-head-net.ts): loss, gradient (`grad`) and update are one graph. Default selection: early
 * stopping on a held-out validation split. `mode: 'reference'` stops on masked-train accuracy and reports the best
 * test accuracy seen (optimistic; stated in `selection`).
 *
 * @example
 * await graphHead(trainX, trainY, testX, testY, { temperature: 0.1 }); // { testTop1, parameters: 652, ... }
 */
export async function graphHead(
  train: Embeddings,
  trainLabels: ArrayLike<number>,
  test: Embeddings,
  testLabels: ArrayLike<number>,
  opts: GraphHeadOptions = {},
): Promise<HeadResult & { temperature: number; graph: GraphInfo }> {
  const C = checkTrainTest(train, trainLabels, test, testLabels);
  const mode = opts.mode ?? 'validation';
  if (mode !== 'validation' && mode !== 'reference')
    throw new CladeError(`graph head mode must be 'validation' or 'reference', got '${String(mode)}'`);
  const n = train.n + test.n;
  const all = new Float32Array(n * train.d);
  all.set(train.data);
  all.set(test.data, train.n * train.d);
  const T = opts.temperature ?? 0.1;
  const maxNodes = opts.maxNodes ?? 8000;
  const kind = opts.graph === 'dense' || (opts.graph !== 'knn' && n <= maxNodes) ? 'dense' : 'knn';
  const float = (v: Float32Array): Feed => (opts.backend === 'js' ? Float64Array.from(v) : v);
  const t0 = performance.now();
  let structure: GraphStructure;
  let info: GraphInfo;
  if (kind === 'dense') {
    const A = normalizeGraph(mutualSoftmaxGraph({ data: all, n, d: train.d }, T, { maxNodes }), n);
    structure = {
      inputs: { A: { shape: [n, n] } },
      feeds: { A: float(A) },
      propagate: (g) => denseGraph(g.A),
    };
    info = { kind, nodes: n, seconds: 0 };
  } else {
    const g = await mutualSoftmaxKnnGraph({ data: all, n, d: train.d }, T, {
      k: opts.k,
      samples: opts.samples,
      seed: opts.seed,
      backend: opts.backend,
    });
    structure = {
      inputs: { index: { shape: [n, g.k], dtype: 'int64' }, weight: { shape: [n, g.k] } },
      feeds: { index: g.index, weight: float(g.weight) },
      propagate: (t) => knnGraph(t.index, t.weight),
    };
    info = { kind, nodes: n, k: g.k, massKept: g.massKept, seconds: 0 };
  }
  info.seconds = (performance.now() - t0) / 1000;
  const labels = new Int32Array(n);
  for (let i = 0; i < train.n; i++) labels[i] = trainLabels[i];
  for (let i = 0; i < test.n; i++) labels[train.n + i] = testLabels[i];
  const rng = new Rng(opts.seed ?? 0);
  let fit = Int32Array.from({ length: train.n }, (_, i) => i);
  let val = new Int32Array(0);
  if (mode === 'validation') {
    const perm = new Rng((opts.seed ?? 0) + 1).permutation(train.n);
    const nVal = Math.max(1, Math.round(train.n * (opts.valFraction ?? 0.1)));
    val = perm.slice(0, nVal);
    fit = perm.slice(nVal);
  }
  const testNodes = Int32Array.from({ length: test.n }, (_, i) => train.n + i);
  const inferTokens = new BigInt64Array(n).fill(BigInt(C));
  for (const i of fit) inferTokens[i] = BigInt(labels[i]);
  const [mlo, mhi] = opts.mask ?? [0.05, 0.6];
  const eps = opts.labelSmoothing ?? 0;

  const trainer = await FullBatchFit.create({
    params: graphHeadInit(C, rng),
    inputs: {
      ...structure.inputs,
      tokens: { shape: [n], dtype: 'int64' },
      y: { shape: [n], dtype: 'int64' },
      w: { shape: [n] },
    },
    loss: (p, b) => {
      const logits = graphHeadLogits(p, structure.propagate(b), b.tokens);
      return { loss: maskedCrossEntropy(logits, b.y, b.w, C, eps), outputs: { logits } };
    },
    optimizer: adamw({ weightDecay: 0.01 }),
    backend: opts.backend,
  });
  const infer = await inferenceLogits(C, n, structure, opts.backend);
  const logitsAt = (params: Record<string, HostFloats>) =>
    infer({ ...params, ...structure.feeds, tokens: inferTokens });
  const lr = opts.lr ?? 0.1;
  const patience = opts.patience ?? 50;
  const maxSteps = opts.maxSteps ?? 1000;
  let best = trainer.params();
  let bestMonitor = -1;
  let sinceBest = 0;
  let bestTest = -1;
  let bestStep = 0;
  let step = 0;
  const order = Array.from(fit);
  const tokens = new BigInt64Array(n);
  const y = new BigInt64Array(n);
  const w = opts.backend === 'js' ? new Float64Array(n) : new Float32Array(n);
  for (; step < maxSteps && sinceBest < patience; step++) {
    const p = rng.uniform(mlo, mhi);
    rng.shuffle(order);
    const nMask = Math.max(1, Math.round(p * order.length));
    const masked = Int32Array.from(order.slice(0, nMask));
    tokens.set(inferTokens);
    y.fill(0n);
    w.fill(0);
    for (const i of masked) {
      tokens[i] = BigInt(C);
      y[i] = BigInt(labels[i]);
      w[i] = 1 / nMask;
    }
    const r = await trainer.step({ ...structure.feeds, tokens, y, w }, lr);
    const monitorTrain = accuracy(r.outputs.logits, C, masked, labels); // masked-train accuracy (pre-update)
    const now = trainer.params();
    if (mode === 'validation') {
      const v = accuracy(await logitsAt(now), C, val, labels);
      if (v > bestMonitor) {
        bestMonitor = v;
        sinceBest = 0;
        best = now;
        bestStep = step + 1;
      } else sinceBest++;
    } else {
      if (monitorTrain > bestMonitor) {
        bestMonitor = monitorTrain;
        sinceBest = 0;
      } else sinceBest++;
      const t = accuracy(await logitsAt(now), C, testNodes, labels);
      if (t > bestTest) {
        bestTest = t;
        bestStep = step + 1;
        best = now;
      }
    }
  }
  const finalLogits = await logitsAt(best);
  // Training accuracy with all fit labels visible (what the reference prints as "train").
  return {
    testTop1: mode === 'reference' ? bestTest : accuracy(finalLogits, C, testNodes, labels),
    trainTop1: accuracy(finalLogits, C, fit, labels),
    steps: step,
    bestStep,
    parameters: graphHeadParameters(C),
    temperature: T,
    graph: info,
    selection:
      mode === 'reference'
        ? 'reference-reproduction: best test accuracy seen during training (optimistic, as in the original code)'
        : 'validation: parameters at the best validation accuracy (held-out training nodes, unknown during training)',
  };
}

/** The graph a head propagates over: its host feeds, their input specs, and the engine-side aggregation. */
interface GraphStructure {
  readonly inputs: Record<string, { shape: number[]; dtype?: 'int64' }>;
  readonly feeds: Record<string, Feed>;
  readonly propagate: (inputs: Readonly<Record<string, Tensor>>) => Propagate;
}

/** Which graph the head used: `dense` (the paper's) or `knn` (`k` neighbours, share of the weight kept). */
export interface GraphInfo {
  kind: 'dense' | 'knn';
  nodes: number;
  k?: number;
  massKept?: number;
  /** Seconds to build the graph. */
  seconds: number;
}

/** The inference graph `(params, graph, tokens) → logits [n, C]` on a backend, as a function of host feeds. */
async function inferenceLogits(
  C: number,
  n: number,
  structure: GraphStructure,
  backend: Backend | undefined,
): Promise<(feeds: Record<string, Feed>) => Promise<HostFloats>> {
  const p: Record<string, Tensor> = {};
  for (const [k, s] of Object.entries(graphHeadShapes(C))) p[k] = input(k, s);
  const g: Record<string, Tensor> = {};
  for (const [k, s] of Object.entries(structure.inputs)) g[k] = input(k, s.shape, s.dtype ?? 'float32');
  const tokens = input('tokens', [n], 'int64');
  const run = await graphRunner(
    defineGraph([...Object.values(p), ...Object.values(g), tokens], {
      logits: graphHeadLogits(p, structure.propagate(g), tokens),
    }),
    backend,
  );
  return async (feeds) => (await run.run(feeds)).logits;
}

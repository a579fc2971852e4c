/**
 * Probe: AdamW's in-graph update over the MLP case's parameters (1.86 M floats), whole tensors vs the big
 * tensors cut into chunks of C floats fed/fetched as views of the same host buffers (zero-copy in, one copy out).
 * `node bin/run-ts.mjs bench/engine/adamw-probe.ts [C ...]`; C = 0 is the whole-tensor graph. SPLIT=1 feeds the
 * gradient whole and splits it in the graph (as the step graph would have to).
 */
import * as ort from 'onnxruntime-node';
import { readFileSync, readdirSync } from 'node:fs';
import { defineGraph } from '../../src/engine/graph.ts';
import { input, type Tensor } from '../../src/engine/tensor.ts';
import { toOnnx } from '../../src/engine/index.ts';
import { sessionOptions } from '../../src/engine/runtime/ort.ts';
import { adamw } from '../../src/optim/adamw.ts';

const shapes: Record<string, number[]> = {
  w1: [784, 1024],
  b1: [1024],
  w2: [1024, 1024],
  b2: [1024],
  w3: [1024, 10],
  b3: [10],
};
const opt = adamw({ weightDecay: 0.01 });
const SPLIT = process.env.SPLIT === '1';

async function probe(C: number) {
  const sc = Object.fromEntries(opt.scalarNames.map((n) => [n, input(`s.${n}`, [])])) as Record<
    string,
    Tensor
  >;
  const outs: Record<string, Tensor> = {};
  const ins: Tensor[] = [...Object.values(sc)];
  const feeds: Record<string, ort.Tensor> = {};
  const fetchA: Record<string, ort.Tensor> = {};
  const bufs: Record<string, Float32Array[]> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    for (const k of ['p', 'g', 'm', 'v'])
      bufs[`${k}.${name}`] = [new Float32Array(n).fill(0.01), new Float32Array(n).fill(0.01)];
    const parts = C > 0 && n > C ? Math.ceil(n / C) : 1;
    const len = (i: number) => Math.min(C || n, n - i * (C || n));
    let gWhole: Tensor | null = null;
    let gParts: Tensor[] = [];
    if (SPLIT && parts > 1) {
      gWhole = input(`g.${name}`, [n]);
      ins.push(gWhole);
      const lens = Array.from({ length: parts }, (_, i) => len(i));
      gParts = lens.map((l, i) => gWhole!.slice([0], [i * C], [i * C + l]));
    }
    for (let i = 0; i < parts; i++) {
      const L = parts === 1 ? n : len(i);
      const tag = parts === 1 ? name : `${name}.${i}`;
      const off = parts === 1 ? 0 : i * C;
      const [p, m, v] = ['p', 'm', 'v'].map((k) => input(`${k}.${tag}`, [L]));
      const g = gWhole ? (gParts as Tensor[])[i] : input(`g.${tag}`, [L]);
      ins.push(p, m, v, ...(gWhole ? [] : [g]));
      const r = opt.update(p, g, { m, v }, sc, shape.length >= 2);
      outs[`np.${tag}`] = r.p;
      outs[`nm.${tag}`] = r.state.m;
      outs[`nv.${tag}`] = r.state.v;
      const view = (k: string, j: number) =>
        new ort.Tensor('float32', bufs[`${k}.${name}`][j].subarray(off, off + L), [L]);
      for (const k of ['p', 'm', 'v']) feeds[`${k}.${tag}`] = view(k, 0);
      if (!gWhole) feeds[`g.${tag}`] = view('g', 0);
      for (const k of ['p', 'm', 'v']) {
        fetchA[`n${k}.${tag}`] = view(k, 1);
      }
    }
    if (gWhole) feeds[`g.${name}`] = new ort.Tensor('float32', bufs[`g.${name}`][0], [n]);
  }
  for (const n of opt.scalarNames) feeds[`s.${n}`] = new ort.Tensor('float32', new Float32Array([0.001]), []);
  // OUT=sum: one scalar output that depends on every update (what the step costs without the state round-trip).
  const SUM = process.env.OUT === 'sum';
  const g = SUM
    ? defineGraph(ins, {
        s: Object.values(outs)
          .map((t) => t.sum())
          .reduce((a, b) => a.add(b))
          .reshape([1]),
      })
    : defineGraph(ins, outs);
  if (SUM) for (const k of Object.keys(fetchA)) delete fetchA[k];
  const PROFILE = process.env.PROFILE === '1';
  const sess = await ort.InferenceSession.create(toOnnx(g), {
    ...sessionOptions(),
    ...(PROFILE ? { enableProfiling: true, profileFilePrefix: `/tmp/adamw_${process.pid}` } : {}),
  });
  for (let i = 0; i < 10; i++) await sess.run(feeds, fetchA);
  const ts: number[] = [];
  for (let r = 0; r < 9; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) await sess.run(feeds, fetchA);
    ts.push((performance.now() - t0) / 20);
  }
  ts.sort((a, b) => a - b);
  if (PROFILE) {
    sess.endProfiling();
    const file = '/tmp/' + readdirSync('/tmp').filter((f) => f.startsWith(`adamw_${process.pid}`))[0];
    const ev = JSON.parse(readFileSync(file, 'utf8')) as {
      name: string;
      cat: string;
      dur: number;
      args?: { op_name?: string };
    }[];
    const byOp = new Map<string, number>();
    let runs = 0;
    for (const e of ev) {
      if (e.name === 'model_run') runs++;
      if (e.cat === 'Node' && e.name.endsWith('_kernel_time'))
        byOp.set(e.args!.op_name!, (byOp.get(e.args!.op_name!) ?? 0) + e.dur);
    }
    const byNode = new Map<string, number[]>();
    for (const e of ev)
      if (e.cat === 'Node' && e.name.endsWith('_kernel_time')) {
        const a = byNode.get(e.name) ?? [];
        a.push(e.dur);
        byNode.set(e.name, a);
      }
    if (process.env.NODES)
      for (const [k, v] of [...byNode]
        .sort((a, b) => b[1][0] - a[1][0])
        .slice(0, Number(process.env.NODES))) {
        v.sort((a, b) => a - b);
        console.log(`    ${k} ${v[v.length >> 1]} us`);
      }
    let tot = 0;
    for (const [k, v] of byOp) {
      tot += v;
      console.log(`  ${k} ${(v / runs / 1000).toFixed(3)} ms`);
    }
    const mr = ev
      .filter((e) => e.name === 'model_run')
      .map((e) => e.dur)
      .sort((a, b) => a - b);
    console.log(
      `  kernels ${(tot / runs / 1000).toFixed(3)} ms/run; model_run median ${(mr[mr.length >> 1] / 1000).toFixed(3)}`,
    );
  }
  console.log(
    `C=${C} split=${SPLIT} nodes=${Object.keys(outs).length / 3} ms/update median ${ts[4].toFixed(3)} min ${ts[0].toFixed(3)}`,
  );
}
for (const c of (process.argv.slice(2).length
  ? process.argv.slice(2)
  : ['0', '65536', '131072', '262144', '524288']
).map(Number))
  await probe(c);

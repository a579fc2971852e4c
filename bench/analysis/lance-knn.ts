/**
 * Bench case (f): kNN over N × 256 embeddings stored as a Lance dataset (`clade embed --out DIR.lance`), through a
 * LanceDB ANN index (IVF-PQ, cosine; re-ranked exactly with `refineFactor`), against exact top-k (`similarityTopK`,
 * ORT) on held-out queries: recall@10, and time against faiss `IndexIVFFlat` at the same recall when python3 has
 * faiss (reference_ivf.py sweeps nprobe; the fastest setting reaching LanceDB's recall is the reference).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { similarityTopK } from '../../src/analysis/top-k.ts';
import type { Embeddings } from '../../src/io/embeddings.ts';
import { buildLanceIndex, lanceKnn, writeLanceEmbeddings } from '../../src/io/lance.ts';
import { writeNpy } from '../../src/io/npy.ts';
import { Rng } from '../../src/util/rng.ts';
import { mixture } from './mixture.ts';

export interface LanceCaseResult {
  n: number;
  queries: number;
  write: number;
  exact: number;
  build: number;
  buildCpu: number;
  settings: { nprobes: number; refineFactor: number; seconds: number; cpu: number; recall: number }[];
  faiss: {
    build: number;
    buildCpu: number;
    sweep: { nprobe: number; seconds: number; cpu: number; recall: number }[];
  } | null;
}

const recallAt = (got: Int32Array, exact: Int32Array, q: number, k: number) => {
  let hit = 0;
  for (let i = 0; i < q; i++) {
    const want = new Set(exact.subarray(i * k, i * k + k));
    for (let j = 0; j < k; j++) if (want.has(got[i * k + j])) hit++;
  }
  return hit / (q * k);
};

/**
 * Run case (f) at `n` rows in `dir`; `reference(dir)` runs reference_ivf.py (or returns null without faiss).
 */
export async function lanceKnnCase(
  dir: string,
  n: number,
  reference: ((dir: string) => Promise<Record<string, unknown> | null>) | null,
  o: { d?: number; queries?: number; k?: number; spread?: number; log?: (l: string) => void } = {},
): Promise<LanceCaseResult> {
  const d = o.d ?? 256;
  const nq = o.queries ?? 1000;
  const k = o.k ?? 10;
  const log = o.log ?? (() => {});
  const secs = (t: number) => (performance.now() - t) / 1000;
  // one mixture (1000 centres; `spread` is the noise σ per dimension against unit-σ centres), its last nq rows held
  // out as queries (not in the dataset)
  const { x: all } = mixture(new Rng(6), n + nq, d, 1000, o.spread ?? 1);
  const x: Embeddings = { data: all.data.subarray(0, n * d), n, d };
  const q: Embeddings = { data: all.data.slice(n * d), n: nq, d };
  const ids = Array.from({ length: n }, (_, i) => String(i));
  const path = join(dir, 'emb.lance');
  let t = performance.now();
  await writeLanceEmbeddings(path, {
    embeddings: x,
    ids,
    labels: new Int32Array(n).fill(-1),
    labelNames: ids.map(() => ''),
  });
  const write = secs(t);
  log(`(f) wrote ${n} × ${d} as Lance in ${write.toFixed(1)} s`);
  t = performance.now();
  const exact = (await similarityTopK(q, x, k)).index;
  const exactS = secs(t);
  log(`(f) exact top-${k} of ${nq} queries in ${exactS.toFixed(1)} s`);
  t = performance.now();
  let cpu = process.cpuUsage();
  const cpuSecs = () => {
    const c = process.cpuUsage(cpu);
    return (c.user + c.system) / 1e6;
  };
  const partitions = Math.round(Math.sqrt(n));
  // k-means as faiss runs it in reference_ivf.py: 25 iterations on 100 rows per centroid
  await buildLanceIndex(path, {
    kind: 'ivf-pq',
    partitions,
    subVectors: d / 8,
    maxIterations: 25,
    sampleRate: 100,
  });
  const build = secs(t);
  const buildCpu = cpuSecs();
  log(
    `(f) IVF-PQ index (${partitions} partitions, ${d / 8} sub-vectors) in ${build.toFixed(1)} s (CPU ${buildCpu.toFixed(1)} s)`,
  );
  const settings: LanceCaseResult['settings'] = [];
  for (const [nprobes, refineFactor] of [
    [5, 5],
    [10, 10],
    [20, 10],
    [40, 20],
  ]) {
    t = performance.now();
    cpu = process.cpuUsage();
    const got = await lanceKnn(path, q, k, { ids, nprobes, refineFactor });
    const s = {
      nprobes,
      refineFactor,
      seconds: secs(t),
      cpu: cpuSecs(),
      recall: recallAt(got, exact, nq, k),
    };
    settings.push(s);
    log(
      `(f) LanceDB nprobes ${nprobes} refine ${refineFactor}: ${s.seconds.toFixed(2)} s, recall@${k} ${s.recall.toFixed(4)}`,
    );
  }
  let faiss: LanceCaseResult['faiss'] = null;
  if (reference) {
    writeNpy(join(dir, 'x.npy'), x.data, [n, d]);
    writeNpy(join(dir, 'q.npy'), q.data, [nq, d]);
    const ex = new Uint8Array(128 + exact.byteLength);
    let header = `{'descr': '<i4', 'fortran_order': False, 'shape': (${nq}, ${k}), }`;
    header += ' '.repeat(128 - 10 - header.length - 1) + '\n';
    ex.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(ex.buffer).setUint16(8, header.length, true);
    for (let i = 0; i < header.length; i++) ex[10 + i] = header.charCodeAt(i);
    ex.set(new Uint8Array(exact.buffer, exact.byteOffset, exact.byteLength), 128);
    writeFileSync(join(dir, 'exact.npy'), ex);
    writeFileSync(
      join(dir, 'ivf.json'),
      JSON.stringify({
        nlist: partitions,
        train: Math.min(n, 100 * partitions),
        nprobes: [1, 2, 4, 8, 16, 32, 64, 128],
      }),
    );
    faiss = (await reference(dir)) as LanceCaseResult['faiss'];
  }
  return { n, queries: nq, write, exact: exactS, build, buildCpu, settings, faiss };
}

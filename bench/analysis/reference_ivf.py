"""faiss IVF reference for bench case (f) (bench/analysis/lance-knn.ts): IndexIVFFlat (inner product on unit rows =
cosine), nlist centroids trained on a sample, nprobe swept; recall@k against the exact neighbours run.ts computed.

Usage: python3 reference_ivf.py <dir>   — reads x.npy [N, D], q.npy [Q, D], exact.npy int32 [Q, k], ivf.json
({nlist, train, nprobes}); prints one JSON object: build seconds (wall and CPU) and, per nprobe, search seconds (wall, CPU) and recall@k.
Threads are pinned by the caller (OMP_NUM_THREADS=2, OMP_WAIT_POLICY=PASSIVE).
"""
import json, sys, time
import numpy as np
import faiss

d = sys.argv[1]
faiss.omp_set_num_threads(2)
cfg = json.load(open(f'{d}/ivf.json'))
x = np.load(f'{d}/x.npy', mmap_mode='r')
q = np.ascontiguousarray(np.load(f'{d}/q.npy'))
exact = np.load(f'{d}/exact.npy')
k = exact.shape[1]
n, D = x.shape
t = time.perf_counter(); c = time.process_time()
quantizer = faiss.IndexFlatIP(D)
index = faiss.IndexIVFFlat(quantizer, D, cfg['nlist'], faiss.METRIC_INNER_PRODUCT)
rng = np.random.default_rng(0)
sample = np.ascontiguousarray(x[np.sort(rng.choice(n, min(n, cfg['train']), replace=False))])
index.train(sample)
for s in range(0, n, 200_000):
    index.add(np.ascontiguousarray(x[s:s + 200_000]))
build = time.perf_counter() - t; build_cpu = time.process_time() - c
sweep = []
for p in cfg['nprobes']:
    index.nprobe = p
    t = time.perf_counter(); c = time.process_time()
    _, I = index.search(q, k)
    sec = time.perf_counter() - t; cpu = time.process_time() - c
    hit = sum(len(set(I[i]) & set(exact[i])) for i in range(len(q)))
    sweep.append({'nprobe': p, 'seconds': sec, 'cpu': cpu, 'recall': hit / (len(q) * k)})
print(json.dumps({'build': build, 'buildCpu': build_cpu, 'sweep': sweep}))

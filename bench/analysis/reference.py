"""Reference timings for `npm run bench:analysis`: faiss (exact self-kNN), NumPy (RLD formula), scikit-learn (probe).

Usage: python3 reference.py <case> <dir>   — reads <dir>/*.npy written by run.ts, prints one JSON object.
Threads are pinned by the caller (bench/reference.ts: OMP_*, OPENBLAS_* of the chosen configuration).
"""
import json, sys, time
import numpy as np

case, d = sys.argv[1], sys.argv[2]
out = {}
if case == 'knn':
    import faiss
    faiss.omp_set_num_threads(2)
    x = np.load(f'{d}/x.npy')
    k = int(open(f'{d}/k.txt').read())
    t = time.perf_counter()
    index = faiss.IndexFlatIP(x.shape[1]); index.add(x); _, I = index.search(x, k)
    out['seconds'] = time.perf_counter() - t
    np.save(f'{d}/faiss_idx.npy', I.astype(np.int32))
elif case == 'rld':
    x = np.load(f'{d}/x.npy').astype(np.float32); y = np.load(f'{d}/y.npy')
    temps = [1.0, 0.5, 0.1]
    t = time.perf_counter()
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    n, D = x.shape
    sq = (x * x).sum(1)
    dist = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0) / D)
    mu = dist[np.triu_indices(n, 1)].mean()
    same = y[:, None] == y[None, :]
    vals = []
    for T in temps:
        s = -dist / mu / T
        np.fill_diagonal(s, -np.inf)
        E = np.exp(s)
        r = E.sum(1); c = E.sum(0)
        W = n * n * E * E / r[:, None] / c[None, :]
        k = W.sum(1); m2 = k.sum()
        vals.append(float((W[same].sum() - (np.bincount(y, weights=k) ** 2).sum() / m2) / m2))
    out['seconds'] = time.perf_counter() - t
    out['rld'] = vals
elif case == 'probe':
    from sklearn.linear_model import LogisticRegression
    xtr = np.load(f'{d}/xtr.npy'); ytr = np.load(f'{d}/ytr.npy'); xte = np.load(f'{d}/xte.npy'); yte = np.load(f'{d}/yte.npy')
    lam = float(open(f'{d}/lambda.txt').read())
    t = time.perf_counter()
    clf = LogisticRegression(C=1.0 / (lam * len(ytr)), max_iter=200, tol=1e-4)
    clf.fit(xtr, ytr)
    out['seconds'] = time.perf_counter() - t
    out['top1'] = float((clf.predict(xte) == yte).mean())
    out['iterations'] = int(np.max(clf.n_iter_))
print(json.dumps(out))

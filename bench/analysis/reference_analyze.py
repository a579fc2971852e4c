"""Reference for `npm run bench:analysis -- --cases analyze` (case (e)): what `clade analyze --analyses
knn,linear-probe,cluster` computes, composed from faiss, NumPy and scikit-learn.

Usage: python3 reference_analyze.py <stage> <dir>   — prints one JSON object (metrics; the caller times the process).
  stage `faiss`:   kNN weighted vote (k = 200, T = 0.1) and majority (k = 20) train → test with faiss IndexFlatIP on
                   L2-normalised rows; class homogeneity at p = 1, 10, 100, 500, 1000 on the test split (self excluded).
  stage `sklearn`: linear probe (LogisticRegression lbfgs, clade's λ grid on clade's validation rows, warm starts,
                   refit on all train rows), RLD at T = 1, 0.5, 0.2, 0.1 (NumPy, dense, the formula of reference.py)
                   and Calinski–Harabasz (sklearn) on the test split.
Two stages because Debian's python3 has scikit-learn but no faiss and the pyenv python3 has faiss but no
scikit-learn; each stage loads <dir>/emb.npy and <dir>/meta.csv itself. Threads are pinned by the caller.
"""
import csv, json, sys
import numpy as np

stage, d = sys.argv[1], sys.argv[2]
x = np.load(f'{d}/emb.npy')
with open(f'{d}/meta.csv', newline='') as f:
    rows = list(csv.DictReader(f))
names, y = np.unique([r['label'] for r in rows], return_inverse=True)  # sorted class names, as clade's encodeLabels
split = np.array([r['split'] for r in rows])
tr, te = split == 'train', split == 'test'
xtr, ytr, xte, yte = x[tr], y[tr], x[te], y[te]
C = len(names)
out = {}


def unit(a):
    return np.ascontiguousarray(a / np.linalg.norm(a, axis=1, keepdims=True), dtype=np.float32)


if stage == 'faiss':
    import faiss

    faiss.omp_set_num_threads(2)
    ntr, nte = unit(xtr), unit(xte)
    index = faiss.IndexFlatIP(ntr.shape[1])
    index.add(ntr)
    S, I = index.search(nte, 200)
    votes = np.zeros((len(yte), C))
    np.add.at(votes, (np.arange(len(yte))[:, None], ytr[I]), np.exp(S / 0.1))
    order = np.argsort(-votes, axis=1, kind='stable')
    out['knn_top1'] = float((order[:, 0] == yte).mean())
    out['knn_top5'] = float((order[:, :5] == yte[:, None]).any(1).mean())
    S20, I20 = index.search(nte, 20)  # clade runs a second search for the majority vote; so does the reference
    # majority vote; ties → larger summed similarity, then lower class index (clade's rule, docs/analysis.md)
    cnt = np.zeros((len(yte), C))
    sim = np.zeros((len(yte), C))
    np.add.at(cnt, (np.arange(len(yte))[:, None], ytr[I20]), 1)
    np.add.at(sim, (np.arange(len(yte))[:, None], ytr[I20]), S20)
    out['knn_majority_top1'] = float(((cnt * 1000 + sim).argmax(1) == yte).mean())
    ps = [p for p in (1, 10, 100, 500, 1000) if p < len(yte)]
    ti = faiss.IndexFlatIP(nte.shape[1])
    ti.add(nte)
    _, J = ti.search(nte, ps[-1] + 1)
    keep = J != np.arange(len(yte))[:, None]
    keep[keep.all(1), -1] = False  # self not found among the top p + 1 (exact duplicates): drop the last
    J = J[keep].reshape(len(yte), ps[-1])
    same = yte[J] == yte[:, None]
    for p in ps:
        out[f'homogeneity_p{p}'] = float(same[:, :p].mean())
elif stage == 'sklearn':
    import warnings
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import calinski_harabasz_score

    warnings.filterwarnings('ignore')  # ConvergenceWarning at max_iter, as clade stops at maxIter silently
    val = np.load(f'{d}/val_idx.npy')  # clade's seeded validation rows (Rng(0).permutation, first 20 %)
    fit = np.load(f'{d}/fit_idx.npy')  # the remaining rows in clade's order
    lambdas = [1e-2, 1e-3, 1e-4, 1e-5]

    # clade: mean loss + λ/2·||W||², stop at max|∇| < 1e-5, 300 iterations. scikit-learn 1.2 minimises the summed
    # loss + ||W||²/(2C): C = 1/(λ n) is the same optimum and gtol = 1e-5 · n the same stopping rule.
    def model(lam, n):
        return LogisticRegression(C=1.0 / (lam * n), max_iter=300, tol=1e-5 * n, warm_start=True)

    clf, best, best_acc, best_coef, validation = None, lambdas[0], -1.0, None, []
    for lam in lambdas:
        m = model(lam, len(fit))
        if clf is not None:
            m.coef_, m.intercept_ = clf.coef_.copy(), clf.intercept_.copy()
        m.fit(xtr[fit], ytr[fit])
        acc = float((m.predict(xtr[val]) == ytr[val]).mean())
        validation.append({'lambda': lam, 'top1': acc})
        if acc > best_acc:
            best, best_acc, best_coef = lam, acc, (m.coef_.copy(), m.intercept_.copy())
        clf = m
    m = model(best, len(ytr))
    m.coef_, m.intercept_ = best_coef
    m.fit(xtr, ytr)
    out['probe_top1'] = float((m.predict(xte) == yte).mean())
    out['probe_lambda'] = best
    out['probe_validation'] = validation
    out['calinskiHarabasz'] = float(calinski_harabasz_score(xte, yte))
    # RLD on the test split, L2-normalised (clade's default), dense NumPy (bench/analysis/reference.py's formula)
    z = unit(xte)
    n, D = z.shape
    sq = (z * z).sum(1)
    dist = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * z @ z.T, 0) / D)
    mu = dist[np.triu_indices(n, 1)].mean()
    same = yte[:, None] == yte[None, :]
    for T in (1.0, 0.5, 0.2, 0.1):
        s = -dist / mu / T
        np.fill_diagonal(s, -np.inf)
        E = np.exp(s)
        r = E.sum(1)
        c = E.sum(0)
        W = n * n * E * E / r[:, None] / c[None, :]
        k = W.sum(1)
        m2 = k.sum()
        out[f'rld_T{T:g}'] = float((W[same].sum() - (np.bincount(yte, weights=k) ** 2).sum() / m2) / m2)
print(json.dumps(out))

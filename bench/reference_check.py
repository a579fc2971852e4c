"""Tuning check of a benchmark's Python reference (bench/reference.ts): the reference's own 2048^3 sgemm and an
elementwise throughput, under the thread configuration the caller put in the environment.

usage: reference_check.py <torch-threads> [--numpy]
Prints one JSON line: {"sgemm": {"blas": GFLOP/s, "onednn": GFLOP/s|null, "numpy": GFLOP/s|null},
"elementwise": GB/s (c = a + b over 16 M floats: 12 bytes per element), "torch": version|null, "blas": core}.
With --numpy (or without torch) only NumPy is measured (its BLAS is the same libblas.so.3 as PyTorch's here).
"""
import ctypes, json, os, sys, time

import numpy as np

N = 2048
ELEMS = 1 << 24


def best_of(f, reps=5):
    f()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return sorted(ts)[len(ts) // 2]


def openblas_core():
    for lib in ("libopenblas.so.0", "libblas.so.3"):
        try:
            h = ctypes.CDLL(lib)
            h.openblas_get_config.restype = ctypes.c_char_p
            return h.openblas_get_config().decode()
        except (OSError, AttributeError):
            continue
    return None


def main():
    threads = int(sys.argv[1])
    out = {"sgemm": {"blas": None, "onednn": None, "numpy": None}, "elementwise": None, "torch": None}
    a = np.random.default_rng(0).standard_normal((N, N), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((N, N), dtype=np.float32)
    out["sgemm"]["numpy"] = 2 * N**3 / best_of(lambda: a @ b) / 1e9
    use_torch = "--numpy" not in sys.argv
    if use_torch:
        try:
            import torch
        except ImportError:
            use_torch = False
    if use_torch:
        import torch.nn as nn
        import torch.utils.mkldnn

        torch.set_num_threads(threads)
        out["torch"] = torch.__version__
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        with torch.no_grad():
            out["sgemm"]["blas"] = 2 * N**3 / best_of(lambda: ta @ tb) / 1e9
            if torch.backends.mkldnn.is_available():
                lin = nn.Linear(N, N, bias=False)
                lin.weight.copy_(tb.t())
                fast = torch.utils.mkldnn.to_mkldnn(lin)
                out["sgemm"]["onednn"] = 2 * N**3 / best_of(lambda: fast(ta)) / 1e9
            x, y = torch.randn(ELEMS), torch.randn(ELEMS)
            z = torch.empty(ELEMS)
            out["elementwise"] = 12 * ELEMS / best_of(lambda: torch.add(x, y, out=z)) / 1e9
    else:
        x = np.random.default_rng(2).standard_normal(ELEMS, dtype=np.float32)
        y = np.random.default_rng(3).standard_normal(ELEMS, dtype=np.float32)
        z = np.empty_like(x)
        out["elementwise"] = 12 * ELEMS / best_of(lambda: np.add(x, y, out=z)) / 1e9
    out["blas"] = openblas_core()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()

"""Dask's side of `deno task bench:array`: one workload per run, timed
inside the process, printed as one JSON line (time in ms, the result).

Usage: python3 dask_array.py MODE   (seed | seed_cluster | sum | xxt | xxt_mul)
"""
import json
import sys
import time


def main():
    mode = sys.argv[1]
    import numpy as np
    import dask.array as da

    if mode == "seed":
        x = da.random.random((10000, 10000), chunks=(1000, 1000))
        t0 = time.perf_counter()
        value = float(x.mean().compute())
        ms = (time.perf_counter() - t0) * 1000
    elif mode == "seed_cluster":
        from distributed import Client, LocalCluster
        t0 = time.perf_counter()
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            x = da.random.random((10000, 10000), chunks=(1000, 1000))
            value = float(x.mean().compute())
        ms = (time.perf_counter() - t0) * 1000
    elif mode == "sum":
        # numpy's kernel on one core: the sum of 1e8 doubles.
        x = np.random.random(100_000_000)
        x.sum()
        best = []
        for _ in range(5):
            t0 = time.perf_counter()
            value = float(x.sum())
            best.append((time.perf_counter() - t0) * 1000)
        ms = sorted(best)[len(best) // 2]
    elif mode == "xxt":
        x = da.random.random((30000, 30000), chunks=(2000, 2000))
        t0 = time.perf_counter()
        value = float((x + x.T).mean().compute())
        ms = (time.perf_counter() - t0) * 1000
    elif mode == "xxt_mul":
        x = da.random.random((30000, 30000), chunks=(2000, 2000))
        t0 = time.perf_counter()
        value = float((x * x.T).mean().compute())
        ms = (time.perf_counter() - t0) * 1000
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps({"ms": ms, "value": value}))


if __name__ == "__main__":
    main()

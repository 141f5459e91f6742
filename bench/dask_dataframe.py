"""One Dask workload of the dataframe benchmark, in its own process.

Prints {"ms": ..., "rss_mb": ..., "check": ...} for the same computations
as troupe's (bench/dataframe_workloads.ts), on Dask's default scheduler
for dataframes (threads) or, with --cluster N, a LocalCluster of N workers.

Usage: python3 bench/dask_dataframe.py WORKLOAD MAIN FACT SIDE [--cluster N]
"""

import json
import resource
import sys
import time

import dask.dataframe as dd


def peak_rss_mb(children=False):
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


def main():
    name, main_csv, fact, side = sys.argv[1:5]
    cluster = None
    if "--cluster" in sys.argv:
        from dask.distributed import Client, LocalCluster
        n = int(sys.argv[sys.argv.index("--cluster") + 1])
        cluster = Client(LocalCluster(n_workers=n, threads_per_worker=1))
    t0 = time.perf_counter()
    if name == "groupby_int":
        out = dd.read_csv(main_csv).groupby("k")[["x", "y", "z"]].mean().compute()
        check = float(out["x"].sum() + out["y"].sum())
    elif name == "groupby_str":
        out = dd.read_csv(main_csv).groupby("name")[["x", "y", "z"]].mean().compute()
        check = float(out["x"].sum() + out["y"].sum())
    elif name == "chain":
        df = dd.read_csv(main_csv)
        df = df[df.x > 0.5]
        df = df.assign(w=df.y * df.z)
        out = df.groupby("k")["w"].mean().compute()
        check = float(out.sum())
    elif name == "merge":
        merged = dd.merge(dd.read_csv(fact), dd.read_csv(side), on="id")
        check = float(len(merged))
    else:
        raise SystemExit(f"no workload {name}")
    ms = (time.perf_counter() - t0) * 1000
    rss = peak_rss_mb()
    if cluster is not None:
        # The workers' memory: each reports its own peak.
        infos = cluster.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        rss += sum(infos.values())
        cluster.close()
    print(json.dumps({"ms": ms, "rss_mb": rss, "check": check}))


if __name__ == "__main__":
    main()

"""Dask peer of bench/cluster_sync_bench.ts: distributed.Lock, Semaphore and
Queue driven by the same commands, over the same line protocol, as troupe's
cluster sync clients, so one driver times both.

Usage (Debian's python3-distributed, /usr/bin/python3):

  python3 bench/dask_sync.py scheduler
      Start a LocalCluster(n_workers=1, threads_per_worker=1,
      processes=True, dashboard_address=None) in this process (its
      scheduler runs here, on this process's event loop; the worker is a
      subprocess), print its address on the first line, and run until stdin
      closes.

  python3 bench/dask_sync.py client ADDRESS
      Connect an asynchronous Client to ADDRESS, print "ready", then answer
      one JSON command per stdin line with one JSON line:

      {"op": "mutex", "n", "name"}             n x (await acquire, release)
      {"op": "semaphore", "n", "name", "permits"}   the same on a Semaphore
      {"op": "contend", "n", "name", "file", "me"}  n x (acquire, then under
          the lock read [count, last holder] (2 little-endian float64) from
          `file`, count a handoff when the last holder was not `me`, write
          [count + 1, me]; release)
      {"op": "produce", "n", "name", "maxSize"}     put 0 .. n-1
      {"op": "consume", "n", "name", "maxSize"}     get n items, each checked
          to be the next integer

      The answer: {"t0": ms, "t1": ms, "n": n, ...} with t0 and t1 in ms
      since the epoch (time.time()), so windows compare across processes;
      "handoffs" for contend, "ok" for consume; {"error": text} on failure.

The asynchronous API is used (await each call, as troupe's side does): it
saves the thread hop of the blocking API, the faster way to use Dask here.
"""

import asyncio
import json
import os
import struct
import sys
import time


async def read_line(loop):
    return await loop.run_in_executor(None, sys.stdin.readline)


def now_ms():
    return time.time() * 1000


async def scheduler():
    from distributed import LocalCluster

    async with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        asynchronous=True,
    ) as cluster:
        print(cluster.scheduler_address, flush=True)
        loop = asyncio.get_running_loop()
        while await read_line(loop):
            pass


async def run(client, cmd):
    from distributed import Lock, Queue, Semaphore

    op, n, name = cmd["op"], cmd["n"], cmd["name"]
    if op == "mutex":
        lock = Lock(name, client=client)
        t0 = now_ms()
        for _ in range(n):
            await lock.acquire()
            await lock.release()
        return {"t0": t0, "t1": now_ms(), "n": n}
    if op == "semaphore":
        sem = await Semaphore(
            max_leases=cmd["permits"],
            name=name,
            scheduler_rpc=client.scheduler,
            loop=client.loop,
        )
        t0 = now_ms()
        for _ in range(n):
            await sem.acquire()
            await sem.release()
        t1 = now_ms()
        await sem.close()
        return {"t0": t0, "t1": t1, "n": n}
    if op == "contend":
        lock = Lock(name, client=client)
        me = float(cmd["me"])
        fd = os.open(cmd["file"], os.O_RDWR)
        handoffs = 0
        try:
            t0 = now_ms()
            for _ in range(n):
                await lock.acquire()
                count, last = struct.unpack("<dd", os.pread(fd, 16, 0))
                if last != me and last != -1:
                    handoffs += 1
                os.pwrite(fd, struct.pack("<dd", count + 1, me), 0)
                await lock.release()
            t1 = now_ms()
        finally:
            os.close(fd)
        return {"t0": t0, "t1": t1, "n": n, "handoffs": handoffs}
    if op == "produce":
        q = await Queue(name, client=client, maxsize=cmd["maxSize"])
        t0 = now_ms()
        for i in range(n):
            await q.put(i)
        return {"t0": t0, "t1": now_ms(), "n": n}
    if op == "consume":
        q = await Queue(name, client=client, maxsize=cmd["maxSize"])
        ok = True
        t0 = now_ms()
        for i in range(n):
            if await q.get() != i:
                ok = False
        return {"t0": t0, "t1": now_ms(), "n": n, "ok": ok}
    raise ValueError(f"unknown op {op!r}")


async def client(address):
    from distributed import Client

    loop = asyncio.get_running_loop()
    async with Client(address, asynchronous=True) as c:
        print("ready", flush=True)
        while True:
            line = await read_line(loop)
            if not line:
                return
            try:
                answer = await run(c, json.loads(line))
            except Exception as e:  # the driver reports it
                answer = {"error": f"{type(e).__name__}: {e}"}
            print(json.dumps(answer), flush=True)


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "scheduler":
        asyncio.run(scheduler())
    elif len(sys.argv) >= 3 and sys.argv[1] == "client":
        asyncio.run(client(sys.argv[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

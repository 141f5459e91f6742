"""Peers of bench/sync_bench.ts: Python's locks and queues on the same
workloads as troupe's sync figures. Prints one JSON line per figure:
{"peer": name, "N": n, "ops_per_s": x, "check": c}.

Usage: python3 bench/sync_peers.py N_LOCK N_QUEUE TASKS MAXSIZE
"""

import asyncio
import json
import queue
import sys
import threading
import time


def emit(peer, n, seconds, check):
    print(json.dumps({"peer": peer, "N": n, "ops_per_s": n / seconds, "check": check}), flush=True)


def threading_lock(n):
    lock = threading.Lock()
    count = 0
    t0 = time.perf_counter()
    for _ in range(n):
        lock.acquire()
        count += 1
        lock.release()
    emit("threading.Lock", n, time.perf_counter() - t0, count)


def queue_queue(n, maxsize):
    q = queue.Queue(maxsize)
    total = [0]

    def produce():
        for i in range(n):
            q.put(i)

    def consume():
        s = 0
        for _ in range(n):
            s += q.get()
        total[0] = s

    t0 = time.perf_counter()
    p = threading.Thread(target=produce)
    c = threading.Thread(target=consume)
    p.start()
    c.start()
    p.join()
    c.join()
    emit("queue.Queue", n, time.perf_counter() - t0, total[0])


async def asyncio_lock(n):
    lock = asyncio.Lock()
    count = 0
    t0 = time.perf_counter()
    for _ in range(n):
        await lock.acquire()
        count += 1
        lock.release()
    emit("asyncio.Lock", n, time.perf_counter() - t0, count)


async def asyncio_lock_contended(n, tasks):
    lock = asyncio.Lock()
    count = 0
    each = n // tasks

    async def worker():
        nonlocal count
        for _ in range(each):
            await lock.acquire()
            await asyncio.sleep(0)  # yield while holding: the others queue
            count += 1
            lock.release()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    emit("asyncio.Lock contended", each * tasks, time.perf_counter() - t0, count)


async def asyncio_queue(n, maxsize):
    q = asyncio.Queue(maxsize)

    async def produce():
        for i in range(n):
            await q.put(i)

    async def consume():
        s = 0
        for _ in range(n):
            s += await q.get()
        return s

    t0 = time.perf_counter()
    _, total = await asyncio.gather(produce(), consume())
    emit("asyncio.Queue", n, time.perf_counter() - t0, total)


def main():
    n_lock, n_queue, tasks, maxsize = (int(x) for x in sys.argv[1:5])
    threading_lock(n_lock)
    queue_queue(n_queue, maxsize)
    asyncio.run(asyncio_lock(n_lock))
    asyncio.run(asyncio_lock_contended(n_queue, tasks))
    asyncio.run(asyncio_queue(n_queue, maxsize))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A parent builds many objects and forks workers that only look at them.

  workers.py read|gc [--freeze] [--objects N] [--workers W]

read: each worker walks every object (a reference count is written per
object it touches). gc: each worker only runs gc.collect() (the collector
writes into the header of every object it tracks). --freeze calls
gc.freeze() before fork: the objects move to a generation the collector
never walks.
"""
import argparse
import gc
import json
import os


def rss_pages():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1])


ap = argparse.ArgumentParser()
ap.add_argument("mode", choices=["read", "gc"])
ap.add_argument("--freeze", action="store_true")
ap.add_argument("--objects", type=int, default=200_000)
ap.add_argument("--workers", type=int, default=2)
args = ap.parse_args()

gc.disable()  # the parent's own collections would move objects around while we build
before = rss_pages()
# lists are always tracked by the collector; each holds an int object of its own
data = [[i * 1000 + 7, None] for i in range(args.objects)]
built = rss_pages() - before
gc.collect()
if args.freeze:
    gc.freeze()

pids = []
for _ in range(args.workers):
    pid = os.fork()
    if pid == 0:
        if args.mode == "read":
            total = 0
            for item in data:
                total += item[0]
        else:
            gc.collect()
        os._exit(0)
    pids.append(pid)
for pid in pids:
    os.waitpid(pid, 0)
print(json.dumps({"mode": args.mode, "freeze": args.freeze, "objects": args.objects,
                  "workers": args.workers, "data_pages": built}))

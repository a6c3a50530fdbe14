"""Where one ``scrm worker`` spends its time on a backlog of WeCom add_external_contact events.

    .venv/bin/python -m bench.worker_profile [--events 300] [--profile]

Starts the load suite's private stack without workers, stores ``--events`` add callbacks (each naming a
contact seeded in the sandbox WeCom) through ``/wecom/callback``, then runs one ``scrm worker --burst``
and reports events per second. ``--profile`` runs the same backlog again in one process (RQ's
SimpleWorker, no fork per job) under cProfile and prints the top functions by cumulative time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.load.checks import unprocessed  # noqa: E402
from bench.load.kinds import CallbackKind, Context  # noqa: E402
from bench.load.stack import ADMIN, Stack  # noqa: E402

PROFILED = """
import cProfile, pstats, sys
from rq import Queue, SimpleWorker
from loan_scrm import wiring
from scrm.core import jobs
wiring.install()
wiring.preload_job_modules()
conn = jobs.get_redis()
worker = SimpleWorker([Queue(q, connection=conn) for q in jobs.QUEUES], connection=conn)
prof = cProfile.Profile()
prof.enable()
worker.work(burst=True)
prof.disable()
pstats.Stats(prof).sort_stats(sys.argv[1]).print_stats(int(sys.argv[2]))
"""


def store_backlog(stack: Stack, events: int, pool_offset: int = 0) -> set[str]:
    token = httpx.post(f"{stack.base_url}/api/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]},
                       timeout=30).json()["token"]
    ctx = Context("127.0.0.1", stack.web_port, stack.sandbox_url, stack.pg_conninfo, token)
    kind = CallbackKind(ctx, events, duplicate_share=0, reenvelope_share=0)
    httpx.post(f"{stack.base_url}/api/org/wecom-sync", headers={"Authorization": f"Bearer {token}"},
               timeout=60).raise_for_status()
    keys = set()
    with httpx.Client(base_url=stack.base_url, timeout=30) as http:
        for _ in range(events):
            xml, key = kind.event()
            query, body = kind.envelope(xml)
            http.post(f"/wecom/callback?{query}", content=body).raise_for_status()
            keys.add(key)
    return keys


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=300)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--sort", default="cumulative")
    ap.add_argument("--top", type=int, default=45)
    args = ap.parse_args()
    stack = Stack(workers=0)
    try:
        stack.start()
        stack._end("scheduler")
        keys = store_backlog(stack, args.events)
        print(f"{len(keys)} add events stored; {unprocessed(stack.pg_conninfo, keys)} unprocessed", flush=True)
        t0 = time.monotonic()
        subprocess.run(stack._scrm("worker", "--burst"), cwd=ROOT, env=stack.env, check=True)
        spent = time.monotonic() - t0
        left = unprocessed(stack.pg_conninfo, keys)
        print(f"one `scrm worker --burst`: {len(keys) - left} events in {spent:.1f} s = "
              f"{(len(keys) - left) / spent:.1f} events/s ({left} left)", flush=True)
        if args.profile:
            keys = store_backlog(stack, args.events)
            t0 = time.monotonic()
            subprocess.run([sys.executable, "-c", PROFILED, args.sort, str(args.top)], cwd=ROOT, env=stack.env,
                           check=True)
            spent = time.monotonic() - t0
            print(f"profiled SimpleWorker (no fork): {len(keys)} events in {spent:.1f} s", flush=True)
    finally:
        stack.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Callback acknowledgements per second and latency: the real WeCom callback path (signature check,
AES decryption, inbox write on PostgreSQL, job queued on Redis) next to a bare FastAPI endpoint.

    .venv/bin/python bench/callback_ingress.py [--requests 6000] [--rounds 5] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
import redis  # noqa: E402
from wechatpy.work.crypto import WeChatCrypto  # noqa: E402

from bench import loadgen  # noqa: E402
from bench.common import PII_KEY, REDIS_URL, fresh_database, served  # noqa: E402
from scrm.core.config import SANDBOX_WECOM  # noqa: E402
from scrm.wecom import callback  # noqa: E402


def make_callbacks(port: int, count: int, prefix: str) -> list[bytes]:
    crypto = WeChatCrypto(SANDBOX_WECOM["token"], SANDBOX_WECOM["aes_key"], SANDBOX_WECOM["corp_id"])
    out = []
    now = int(time.time())
    for i in range(count):
        xml = (f"<xml><ToUserName><![CDATA[{SANDBOX_WECOM['corp_id']}]]></ToUserName><FromUserName><![CDATA[sys]]>"
               f"</FromUserName><CreateTime>{now}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event>"
               f"<![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>"
               f"<UserID><![CDATA[sales{i % 50:03d}]]></UserID><ExternalUserID><![CDATA[wm{prefix}{i:08d}]]>"
               f"</ExternalUserID><State><![CDATA[poster-01]]></State><WelcomeCode><![CDATA[WC{prefix}{i}]]>"
               f"</WelcomeCode></xml>")
        envelope = callback.parse_xml(crypto.encrypt_message(xml, str(i), str(now)))
        body = (f"<xml><ToUserName><![CDATA[{SANDBOX_WECOM['corp_id']}]]></ToUserName><Encrypt><![CDATA["
                f"{envelope['Encrypt']}]]></Encrypt><AgentID><![CDATA[{SANDBOX_WECOM['agent_id']}]]></AgentID></xml>").encode()
        path = f"/wecom/callback?msg_signature={envelope['MsgSignature']}&timestamp={now}&nonce={i}"
        out.append(loadgen.build_post("127.0.0.1", port, path, body))
    return out


async def commit_latency(db_url: str, rate: float, count: int) -> loadgen.Result:
    """The floor under the callback path: what one durable insert costs on this machine's PostgreSQL."""
    result = loadgen.Result()
    conninfo = db_url.replace("postgresql+psycopg://", "postgresql://")
    async with await psycopg.AsyncConnection.connect(conninfo) as conn:
        await conn.execute("CREATE TEMP TABLE floor_probe (id bigserial PRIMARY KEY, v text)")
        start = time.perf_counter()
        for i in range(count):
            scheduled = start + i / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            t0 = time.perf_counter()
            async with conn.transaction():
                await conn.execute("INSERT INTO inbox_event (source, dedupe_key, kind, payload, status, attempts, "
                                   "received_at) VALUES ('probe', %s, 'probe', '', 'done', 0, now())", (f"probe-{i}",))
            result.latencies_ms.append((time.perf_counter() - t0) * 1000)
            result.statuses[200] = result.statuses.get(200, 0) + 1
        result.elapsed_s = time.perf_counter() - start
        await conn.execute("DELETE FROM inbox_event WHERE source = 'probe'")
        await conn.commit()
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=6000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--rounds", type=int, default=5, help="turns each server takes at saturation")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes for both servers")
    args = ap.parse_args()

    db_url = fresh_database("scrm_bench_callback")
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {"SCRM_DATABASE_URL": db_url, "SCRM_REDIS_URL": REDIS_URL, "SCRM_PII_KEY": PII_KEY,
           "SCRM_SECRET_KEY": "bench", "SCRM_WECOM_CORP_ID": SANDBOX_WECOM["corp_id"],
           "SCRM_WECOM_SECRET": SANDBOX_WECOM["secret"], "SCRM_WECOM_TOKEN": SANDBOX_WECOM["token"],
           "SCRM_WECOM_AES_KEY": SANDBOX_WECOM["aes_key"], "SCRM_WECOM_AGENT_ID": str(SANDBOX_WECOM["agent_id"]),
           "SCRM_LOG_LEVEL": "WARNING"}
    print(f"machine: {os.cpu_count()} cores; server: uvicorn, {args.workers} worker(s); client: asyncio, "
          f"{args.concurrency} keep-alive connections, same machine")

    floor = asyncio.run(commit_latency(db_url, args.rate, int(args.rate * 5)))
    print(f"PostgreSQL alone at {args.rate:.0f}/s  : one-row INSERT + COMMIT, {floor.summary()}")

    # Both servers stay up and take turns, so a slow spell on the shared machine falls on both.
    with served("bench.bare_app:app", env, workers=args.workers) as bare_port, \
            served("loan_scrm.app:create_app", env, factory=True, workers=args.workers) as port:
        bare_req = loadgen.build_post("127.0.0.1", bare_port, "/bare", b"<xml>" + b"x" * 600 + b"</xml>")
        asyncio.run(loadgen.closed_loop("127.0.0.1", bare_port, [bare_req] * 1000, args.concurrency))
        asyncio.run(loadgen.closed_loop("127.0.0.1", port, make_callbacks(port, 1000, "W"), args.concurrency))
        bare_runs, cb_runs = [], []
        for round_no in range(1, args.rounds + 1):
            bare_runs.append(asyncio.run(loadgen.closed_loop("127.0.0.1", bare_port, [bare_req] * args.requests,
                                                             args.concurrency)))
            reqs = make_callbacks(port, args.requests, f"T{round_no}_")
            cb_runs.append(asyncio.run(loadgen.closed_loop("127.0.0.1", port, reqs, args.concurrency)))
            print(f"round {round_no}: bare {bare_runs[-1].summary()}")
            print(f"         callback {cb_runs[-1].summary()}")
        bare_rate = asyncio.run(loadgen.open_loop("127.0.0.1", bare_port,
                                                  [bare_req] * int(args.rate * args.seconds), args.rate))
        fixed = make_callbacks(port, int(args.rate * args.seconds), "R")
        at_rate = asyncio.run(loadgen.open_loop("127.0.0.1", port, fixed, args.rate))
    bare_median = statistics.median(r.rate for r in bare_runs)
    cb_median = statistics.median(r.rate for r in cb_runs)
    print(f"bare FastAPI endpoint      : median {bare_median:,.0f}/s over {args.rounds} rounds")
    print(f"WeCom callback (saturated) : median {cb_median:,.0f}/s over {args.rounds} rounds")
    print(f"bare endpoint at {args.rate:.0f}/s     : {bare_rate.summary()}")
    print(f"WeCom callback at {args.rate:.0f}/s   : {at_rate.summary()}")

    sync_url = db_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(sync_url) as conn:
        stored = conn.execute("select count(*) from inbox_event").fetchone()[0]
    accepted = sum(r.statuses.get(200, 0) for r in (*cb_runs, at_rate)) + 1000
    ratios = sorted(c.rate / b.rate for b, c in zip(bare_runs, cb_runs))
    print(f"ratio callback/bare throughput: {cb_median / bare_median:.2f} (medians; rounds "
          f"{ratios[0]:.2f}-{ratios[-1]:.2f})")
    print(f"inbox rows {stored} for {accepted} accepted callbacks ({'none lost' if stored == accepted else 'MISMATCH'})")


if __name__ == "__main__":
    main()

"""Import a company's 20,000 WeCom customers (50 followers) from the sandbox WeCom into a fresh PostgreSQL
database, then run the import again (nothing changed in WeCom), and print customers per second for each, with
the calls made and how long WeCom's own documented limits would make the same import at a real company.

    .venv/bin/python bench/wecom_import.py [--customers 20000] [--followers 50] [--profile]

WeCom's limits, 访问频率限制 (https://developer.work.weixin.qq.com/document/path/90312): "每企业调用单个cgi/api
不可超过1万次/分，15万次/小时" (per company, one API: 10,000 calls a minute, 150,000 an hour). The import reads
batch/get_by_user 100 customers a call (批量获取客户详情, document 92994: "limit 返回的最大记录数，整型，最大值100").
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PII_KEY, REDIS_URL, fresh_database  # noqa: E402
from scrm.core.config import SANDBOX_WECOM  # noqa: E402

PER_MINUTE, PER_HOUR = 10_000, 150_000  # WeCom: per company, per API (document 90312)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--followers", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    url = fresh_database("scrm_bench_wecom_import")
    # jobs the import queues (the tagging pipeline's reading of remarks and descriptions) go to RQ for the
    # workers, as in production; they are counted, not run
    redis.Redis.from_url(REDIS_URL).flushdb()
    os.environ.update(SCRM_DATABASE_URL=url, SCRM_PII_KEY=PII_KEY, SCRM_REDIS_URL=REDIS_URL, SCRM_SECRET_KEY="bench",
                      SCRM_WECOM_IMPORT_PAGES_PER_MINUTE="0")

    from scrm.sandbox.wecom import SandboxWecom
    from scrm.sandbox.wecom.company import seed_company

    sandbox = SandboxWecom(**SANDBOX_WECOM, calls_per_minute=1_000_000)
    base = sandbox.start()
    os.environ.update(SCRM_WECOM_API_BASE=base, SCRM_WECOM_CORP_ID=SANDBOX_WECOM["corp_id"],
                      SCRM_WECOM_SECRET=SANDBOX_WECOM["secret"], SCRM_WECOM_AGENT_ID=str(SANDBOX_WECOM["agent_id"]))
    company = seed_company(sandbox, args.customers, args.followers)

    from scrm.core.config import reset_settings
    from scrm.ingress import tasks
    from scrm.ingress.models import ImportKind

    reset_settings()
    print(f"company: {company.customers} customers over {company.followers} followers, {company.follows} "
          f"relationships ({company.shared} customers followed by several), {len(company.chats)} groups")
    profiler = cProfile.Profile() if args.profile else None
    for label in ("first import", "second import (unchanged)"):
        sandbox.clear_request_log()
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        figures = tasks.run_import(ImportKind.import_)
        if profiler:
            profiler.disable()
        took = time.perf_counter() - started
        if label == "first import":
            first_took = took
        batch_calls = sandbox.call_count("externalcontact/batch/get_by_user")
        calls = len(sandbox.request_log())
        print(f"{label}: {figures['customers_added']} added, {figures['customers_updated']} updated in {took:.1f} s "
              f"= {company.customers / took:,.0f} customers/s; {calls} WeCom calls ({batch_calls} batch/get_by_user "
              f"pages, {sandbox.call_count('externalcontact/get')} externalcontact/get)")
    sandbox.stop()
    pages = batch_calls
    pace = 1200  # SCRM_WECOM_IMPORT_PAGES_PER_MINUTE's default
    print(f"WeCom's limits (document 90312: 10,000 calls a minute and 150,000 an hour per API per company) for "
          f"these {pages} batch/get_by_user pages: {pages / PER_MINUTE * 60:.1f} s of one minute's allowance, "
          f"{pages / PER_HOUR * 3600:.1f} s of the hourly one spread evenly; at the import's own pace ({pace} pages "
          f"a minute) {pages / pace * 60:.0f} s. So at a real company this import is bound by our own processing "
          f"({first_took:.0f} s here), not by WeCom.")
    big = 1_000_000 / 100
    print(f"1,000,000 customers: {big:,.0f} pages; {big / PER_MINUTE:.0f} min at WeCom's per-minute limit, "
          f"{big / (PER_HOUR / 60):.0f} min at its hourly limit, {big / pace:.0f} min at our pace; our processing at "
          f"this run's rate: {1_000_000 / (company.customers / first_took) / 60:.0f} min")
    queued = sum(redis.Redis.from_url(REDIS_URL).llen(f"rq:queue:{q}") for q in ("urgent", "default", "low"))
    print(f"jobs left queued for the workers (tagging of remarks and descriptions, tag sync): {queued}")
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats("scrm/", 40)


if __name__ == "__main__":
    main()

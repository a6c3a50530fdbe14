"""The load and fault suite: one command, a bounded run, a report.

    .venv/bin/python -m bench.load [--quick] [--web-workers 1|2] [--kinds callback,staff_api,mp,console,bot]

Starts its own stack (private Redis and PostgreSQL, sandbox WeCom, ``scrm serve``, two ``scrm worker``,
``scrm scheduler``), drives a mix of kinds (WeCom callbacks, staff API reads, mini-program calls, console pages, bot
commands; see ``bench/load/kinds.py``) at a fixed rate, steps the
rate up to find the knee, then runs each fault under light load: Redis stopped, PostgreSQL
restarted, a worker killed with SIGKILL mid-job, the sandbox WeCom answering 5xx, timing out and
answering 45009. After each, and at the end, it checks that every accepted callback was stored
once and processed, and that no side effect happened twice. Writes ``bench/out/load-report.md``
with its plots; prints the headline table; exits non-zero when an invariant failed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.load import checks, report  # noqa: E402
from bench.load.driver import Window, drive, mixer  # noqa: E402
from bench.load.kinds import KINDS, Context  # noqa: E402
from bench.load.stack import ADMIN, Stack  # noqa: E402

OUT = ROOT / "bench" / "out"


@dataclass
class Plan:
    warmup: tuple[float, float]  # rate, seconds
    mix: tuple[float, float]
    steps: list[float]
    step_s: float
    drain_s: float
    light_rate: float
    redis_down_s: float
    fault_tail_s: float
    recover_s: float
    pool: int


# The fault windows' light load stays under what two workers process on a shared 2-core machine, so
# that time to recover measures the fault and not a backlog; the steps come last for the same reason.
FULL = Plan(warmup=(5, 6), mix=(20, 30), steps=[50, 100, 200, 400, 800], step_s=10, drain_s=45, light_rate=5,
            redis_down_s=30, fault_tail_s=6, recover_s=90, pool=2000)
QUICK = Plan(warmup=(5, 4), mix=(15, 10), steps=[25, 50, 100, 200], step_s=5, drain_s=20, light_rate=4,
             redis_down_s=10, fault_tail_s=4, recover_s=60, pool=600)


@dataclass
class FaultResult:
    name: str
    what: str
    window: Window
    began: float
    ended: float
    recovered_s: float | None
    lost: int
    unprocessed: int
    duplicated: int
    callback_errors: int
    staff_errors: int
    notes: list[str] = field(default_factory=list)

    @property
    def error_statuses(self) -> str:
        """First-try failures by answer: 0 is no answer within 5 s (or the connection refused)."""
        counts: dict[str, int] = {}
        for s in self.window.samples:
            if s.attempt == 1 and not s.ok:
                name = f"no answer ({s.error})" if s.status == 0 else str(s.status)
                counts[name] = counts.get(name, 0) + 1
        return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "–"


def ensure_matplotlib() -> None:
    if importlib.util.find_spec("matplotlib") is not None:
        return
    print("installing the bench extra (matplotlib) into the venv …", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", f"{ROOT}[bench]"], check=False)


class Run:
    def __init__(self, stack: Stack, plan: Plan, kind_names: list[str]) -> None:
        self.stack, self.plan = stack, plan
        self.clock0 = time.perf_counter()
        self.marks: list[tuple[float, str]] = []
        self.windows: list[Window] = []
        token = httpx.post(f"{stack.base_url}/api/auth/login", json={"username": ADMIN[0], "password": ADMIN[1]},
                           timeout=30).json()["token"]
        self.ctx = Context("127.0.0.1", stack.web_port, stack.sandbox_url, stack.pg_conninfo, token, wxa=stack.wxa)
        self.kinds = [KINDS[name](self.ctx, plan.pool) for name in kind_names]
        # the sandbox's staff become employees, so the customers the callbacks bring get owners
        httpx.post(f"{stack.base_url}/api/org/wecom-sync", headers={"Authorization": f"Bearer {token}"},
                   timeout=30).raise_for_status()
        self.source = mixer(self.kinds)
        self.callbacks = next((k.source for k in self.kinds if k.name == "callback"), None)

    def now(self) -> float:
        return time.perf_counter() - self.clock0

    def mark(self, label: str, plot: bool = True) -> None:
        if plot:
            self.marks.append((self.now(), label))
        print(f"  {self.now():6.1f} s  {label}", flush=True)

    async def window(self, name: str, rate: float, seconds: float) -> Window:
        w = Window(name, rate, seconds)
        self.windows.append(w)
        await drive(w, "127.0.0.1", self.stack.web_port, self.source, self.clock0)
        return w

    def accepted(self) -> set[str]:
        return set().union(*(w.accepted_keys for w in self.windows)) if self.windows else set()

    def added_contacts(self, keys: set[str]) -> dict[str, str]:
        if self.callbacks is None:
            return {}
        return {key: ext for key, ext in self.callbacks.add_keys.items() if key in keys}

    async def fault(self, name: str, what: str, begin, end, hold_s: float) -> FaultResult:
        plan = self.plan
        conninfo = self.stack.pg_conninfo
        before = await asyncio.to_thread(checks.invariants, conninfo, self.accepted(), {})
        w = Window(f"fault: {name}", plan.light_rate, 3 + hold_s + plan.fault_tail_s)
        self.windows.append(w)
        driving = asyncio.create_task(drive(w, "127.0.0.1", self.stack.web_port, self.source, self.clock0))
        await asyncio.sleep(3)
        began = self.now()
        self.mark(f"{name}: on")
        notes = list(await asyncio.to_thread(begin) or [])
        await asyncio.sleep(max(0.0, hold_s - (self.now() - began)))
        notes += list(await asyncio.to_thread(end) or [])
        ended = self.now()
        self.mark(f"{name}: off")

        recovered = None
        deadline = time.monotonic() + plan.recover_s
        while time.monotonic() < deadline:
            target = {k for k in w.accepted_keys if w.first_sent.get(k, 0) <= ended}
            waiting = any(w.first_sent.get(k, 0) <= ended for k in w.pending)
            if not waiting and await asyncio.to_thread(checks.unprocessed, conninfo, target) == 0:
                recovered = self.now() - ended
                break
            await asyncio.sleep(0.5)
        await driving
        if recovered is not None:  # and what came after the fault is processed too before the next one
            await asyncio.to_thread(checks.wait_processed, conninfo, w.accepted_keys, plan.recover_s / 2)
        self.mark(f"{name}: recovered after {recovered if recovered is None else round(recovered, 1)} s", plot=False)
        after = await asyncio.to_thread(checks.invariants, conninfo, w.accepted_keys,
                                        self.added_contacts(w.accepted_keys))
        first = [s for s in w.samples if s.attempt == 1]
        return FaultResult(
            name, what, w, began, ended, recovered, after.lost, after.unprocessed,
            after.duplicated_side_effects - before.duplicated_side_effects,
            sum(1 for s in first if s.kind in ("callback", "bot") and not s.ok),
            sum(1 for s in first if s.kind not in ("callback", "bot") and not s.ok), notes)


def _sandbox(stack: Stack, method: str, route: str, **body) -> None:
    httpx.request(method, f"{stack.sandbox_url}{route}", json=body or None, timeout=10).raise_for_status()


FAULTS = ("redis-down", "postgres-restart", "worker-sigkill", "wecom-faults")


async def run_all(stack: Stack, plan: Plan, kind_names: list[str], faults_wanted: tuple[str, ...]) -> dict:
    run = Run(stack, plan, kind_names)
    conninfo = stack.pg_conninfo
    out: dict = {"run": run}

    run.mark("warm-up")
    warm = await run.window("warm-up", *plan.warmup)
    await asyncio.to_thread(checks.wait_processed, conninfo, warm.accepted_keys, 60)

    run.mark("mix")
    since = datetime.now(timezone.utc)
    mix = await run.window("mix", *plan.mix)
    until = datetime.now(timezone.utc)
    out["mix_drain_s"] = await asyncio.to_thread(checks.wait_processed, conninfo, mix.accepted_keys, plan.drain_s)
    out["mix"] = mix
    out["mix_lag"] = await asyncio.to_thread(checks.queue_lag_ms, conninfo, since, until)

    run.mark(f"mix drained after {out['mix_drain_s']} s", plot=False)
    faults: list[FaultResult] = []
    if "redis-down" in faults_wanted:
        faults.append(await run.fault(
            "redis-down", f"redis-server stopped for {plan.redis_down_s:.0f} s, then started empty (no persistence)",
            stack.stop_redis, stack.start_redis, plan.redis_down_s))

    if "postgres-restart" in faults_wanted:
        faults.append(await run.fault(
            "postgres-restart", "PostgreSQL stopped (fast shutdown), down 3 s, started again",
            stack.stop_pg, lambda: (time.sleep(3), stack.start_pg()) and None, 0))

    def kill_worker():
        _sandbox(stack, "POST", "/sandbox/faults", path="externalcontact/get", delay_s=1.5, times=30)
        time.sleep(2.0)  # jobs are now inside their WeCom call, holding their inbox rows
        victim = stack.workers()[0]
        stack.kill(victim)
        replacement = stack.start_worker()
        return [f"SIGKILL to {victim} and its work horse while its jobs waited 1.5 s on externalcontact/get; "
                f"{replacement} started in its place (as a supervisor would)"]

    if "worker-sigkill" in faults_wanted:
        faults.append(await run.fault(
            "worker-sigkill", "one of the two workers killed with SIGKILL mid-job", kill_worker,
            lambda: _sandbox(stack, "DELETE", "/sandbox/faults"), 3))

    def sandbox_faults():
        for spec in ({"http_status": 503, "times": 60}, {"delay_s": 21, "times": 2}, {"errcode": 45009, "times": 60}):
            _sandbox(stack, "POST", "/sandbox/faults", path="externalcontact/get", **spec)

    if "wecom-faults" in faults_wanted:
        faults.append(await run.fault(
            "wecom-faults", "sandbox WeCom on externalcontact/get: 60× HTTP 503, 2× a 21 s stall (past our 20 s "
            "read timeout), 60× errcode 45009; the rest cleared after 20 s", sandbox_faults,
            lambda: _sandbox(stack, "DELETE", "/sandbox/faults"), 20))
    out["faults"] = faults

    steps = []
    since = datetime.now(timezone.utc)
    for rate in plan.steps:
        run.mark(f"{rate:.0f}/s")
        steps.append(await run.window(f"step {rate:.0f}/s", rate, plan.step_s))
    until = datetime.now(timezone.utc)
    step_keys = set().union(*(w.accepted_keys for w in steps))
    left_at_end = await asyncio.to_thread(checks.unprocessed, conninfo, step_keys)
    t0 = time.monotonic()
    drained = await asyncio.to_thread(checks.wait_processed, conninfo, step_keys, plan.drain_s)
    spent = time.monotonic() - t0
    left = 0 if drained is not None else await asyncio.to_thread(checks.unprocessed, conninfo, step_keys)
    out["steps"], out["steps_drain_s"], out["steps_events"], out["steps_backlog_left"] = steps, drained, len(step_keys), left
    out["processing_rate"] = ((left_at_end or 0) - (left or 0)) / spent if spent > 1 else None
    out["steps_lag"] = await asyncio.to_thread(checks.queue_lag_ms, conninfo, since, until)
    run.mark(f"steps: {left_at_end} queued at the last step's end, {left} after {spent:.0f} s more", plot=False)

    everything = run.accepted()
    out["final"] = await asyncio.to_thread(checks.invariants, conninfo, everything, run.added_contacts(everything))
    before_steps = everything - step_keys
    out["unprocessed_before_steps"] = await asyncio.to_thread(checks.unprocessed, conninfo, before_steps)
    out["sent_events"] = run.callbacks.sent_events if run.callbacks else 0
    bot = next((k.source for k in run.kinds if k.name == "bot"), None)
    if bot is not None:
        asked = bot.keys & everything
        out["bot"] = (len(asked), await asyncio.to_thread(checks.bot_answered, conninfo, asked))
    return out


def write_report(result: dict, args, elapsed: float) -> tuple[str, bool]:
    run: Run = result["run"]
    OUT.mkdir(parents=True, exist_ok=True)
    pictures = report.plots(OUT, run.windows, result["steps"], run.marks)
    final: checks.Invariants = result["final"]
    faults: list[FaultResult] = result["faults"]
    lines = ["# Load and fault report", "",
             f"`{' '.join(['.venv/bin/python -m bench.load', *sys.argv[1:]])}` — {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
             f"{elapsed:.0f} s wall. Machine: 2 cores shared with other work while this ran, so the figures are "
             f"a floor, not a capacity. Server: `scrm serve` with {args.web_workers} uvicorn worker(s), 2 × `scrm worker`, "
             f"`scrm scheduler`, private PostgreSQL and Redis, sandbox WeCom — all on loopback. Client: one asyncio "
             f"process, open loop (latency counts from the scheduled send), 64 keep-alive connections, 5 s timeout; "
             f"callbacks not answered 200 are resent (same bytes) after 1, 2 and 4 s as WeCom does.", ""]
    lines += ["## Headline", ""]
    headline = headline_table(result)
    lines += headline + [""]
    lines += ["## Mix at a fixed rate", "",
              f"{result['mix'].offered_rate:.0f} requests/s for {result['mix'].seconds:.0f} s "
              f"({', '.join(f'{k.name} {k.weight:.0%}' for k in run.kinds)}; of the callbacks ~8% exact "
              f"duplicates and ~4% the same event in a fresh envelope).", ""]
    lines += report.kind_table(result["mix"], result["mix_lag"])
    lines += ["", f"Backlog drained {report.fmt(result['mix_drain_s'], 1)} s after the window closed.", ""]
    families = sorted({report.family(smp.kind) for w in result["steps"] for smp in w.samples})
    lines += ["## Stepping the rate up", "",
              "Every kind of the mix, at its share, in each step; the knee is read over all of them.", "",
              "| offered/s | answered ok/s | requests | errors | p50 ms | p95 ms | p99 ms | "
              + " | ".join(f"{name} p99 ms (errors)" for name in families) + " |",
              "|---:|---:|---:|---:|---:|---:|---:|" + "---:|" * len(families)]
    for w in result["steps"]:
        t, k = report.totals(w), report.per_kind(w)
        lines.append(f"| {w.offered_rate:.0f} | {t['achieved']:.1f} | {t['requests']} | {t['errors']} | "
                     f"{report.fmt(t['p50'], 1)} | {report.fmt(t['p95'], 1)} | {report.fmt(t['p99'], 1)} | "
                     + " | ".join(f"{report.fmt(k.get(n, {}).get('p99'), 1)} ({k.get(n, {}).get('errors', 0)})"
                                  for n in families) + " |")
    lag = result["steps_lag"]
    drain = result["steps_drain_s"]
    rate = result["processing_rate"]
    lines += ["", f"Knee of the HTTP side (achieved ≥ 90% of offered, p99 < 1 s, no errors): "
                  f"**{report.knee(result['steps'])}**.",
              f"The steps' {result['steps_events']} accepted callbacks were all stored at once; processing them is "
              f"the workers' pace: "
              + (f"all processed {drain:.1f} s after the last step" if drain is not None else
                 f"{result['steps_backlog_left']} still queued {run.plan.drain_s:.0f} s after the last step "
                 f"(queued, not lost: they are in the inbox and their jobs in Redis)")
              + (f"; the two workers processed {rate:.1f} events/s meanwhile" if rate else "")
              + f". Queue lag of what was processed: p50 {report.fmt(lag['p50'])} ms, p95 {report.fmt(lag['p95'])} ms, "
                f"p99 {report.fmt(lag['p99'])} ms, max {report.fmt(lag['max'])} ms.", ""]
    if faults:
        lines += ["## Faults (each under light load)", "",
                  "| fault | what | events lost | duplicated side effects | not processed | time to recover | "
                  "callbacks refused (first try) | other requests' errors | failures by answer |", "|---|---|---:|---:|---:|---:|---:|---:|---|"]
        for f in faults:
            lines.append(f"| {f.name} | {f.what} | {f.lost} | {f.duplicated} | {f.unprocessed} | "
                         + (f"{f.recovered_s:.1f} s" if f.recovered_s is not None else f"not within {run.plan.recover_s:.0f} s")
                         + f" | {f.callback_errors} | {f.staff_errors} | {f.error_statuses} |")
        lines += ["", "Time to recover: from the end of the fault until every callback accepted up to then was processed. "
                  "Refused callbacks are those WeCom would retry; the client retried them and they count as lost only "
                  "if accepted and then not processed.", ""]
        for f in faults:
            for note in f.notes:
                lines.append(f"- {f.name}: {note}")
        lines.append("")
    if result.get("bot"):
        asked, answered = result["bot"]
        lines += [f"Bot commands accepted: {asked}; answered (one reply each, sent by app message): {answered}.", ""]
    lines += ["## Invariants over the whole run", "",
              f"- callbacks accepted (distinct events): {final.accepted}; stored: {final.stored}; "
              f"**lost: {final.lost}**; not processed when the run ended: {final.unprocessed} (of which from before "
              f"the steps: {result['unprocessed_before_steps']})",
              f"- inbox rows sharing a dedupe key: {final.duplicate_inbox}",
              f"- external users with more than one customer: {final.duplicate_customers}; added contacts without a "
              f"customer: {final.missing_customers}",
              f"- customers with more than one 'created' timeline entry: {final.duplicate_created_entries}; "
              f"(customer, source key) timeline pairs written twice: {final.duplicate_timeline}; customers with more "
              f"than one customer.created event: {final.duplicate_created_events}",
              f"- verdict: **{'PASS' if verdict(result) else 'FAIL'}** (nothing lost, nothing twice, everything "
              f"accepted before the steps processed)", ""]
    for p in pictures:
        lines += [f"![{p}]({p})", ""]
    if not pictures:
        lines += ["(no plots: matplotlib is not installed; `pip install -e .[bench]`)", ""]
    lines += ["Process logs of the run: `bench/out/load-logs/`."]
    (OUT / "load-report.md").write_text("\n".join(lines) + "\n")
    return "\n".join(headline), verdict(result)


def verdict(result: dict) -> bool:
    final: checks.Invariants = result["final"]
    return (final.lost == 0 and final.duplicated_side_effects == 0 and final.missing_customers == 0
            and result["unprocessed_before_steps"] == 0
            and all(f.lost == 0 and f.duplicated == 0 for f in result["faults"]))


def headline_table(result: dict) -> list[str]:
    mix = report.per_kind(result["mix"])
    lines = ["| figure | value |", "|---|---|"]
    for name, r in mix.items():
        lines.append(f"| {name} at {result['mix'].offered_rate:.0f}/s mix: p50 / p95 / p99 | "
                     f"{report.fmt(r['p50'], 1)} / {report.fmt(r['p95'], 1)} / {report.fmt(r['p99'], 1)} ms, "
                     f"{r['errors']} errors |")
    lag = result["mix_lag"]
    lines.append(f"| queue lag at the mix rate: p50 / p95 / p99 | {report.fmt(lag['p50'])} / {report.fmt(lag['p95'])} / "
                 f"{report.fmt(lag['p99'])} ms |")
    best = max(result["steps"], key=lambda w: report.totals(w)["achieved"])
    lines.append(f"| highest answered rate (all kinds) | {report.totals(best)['achieved']:.0f}/s at {best.offered_rate:.0f}/s offered |")
    lines.append(f"| knee | {report.knee(result['steps'])} |")
    for f in result["faults"]:
        rec = f"{f.recovered_s:.1f} s" if f.recovered_s is not None else "did not recover in time"
        lines.append(f"| {f.name}: lost / duplicated / recovery | {f.lost} / {f.duplicated} / {rec} |")
    final = result["final"]
    if result.get("processing_rate"):
        lines.append(f"| processing rate of the two workers (draining the steps) | {result['processing_rate']:.1f} events/s |")
    if result.get("bot"):
        lines.append(f"| bot commands accepted / answered once | {result['bot'][0]} / {result['bot'][1]} |")
    lines.append(f"| whole run: accepted / lost / duplicated side effects | {final.accepted} / {final.lost} / "
                 f"{final.duplicated_side_effects} |")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a ~2-minute smoke run")
    ap.add_argument("--web-workers", type=int, default=1, choices=(1, 2), help="uvicorn worker processes")
    ap.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated, of: {', '.join(KINDS)}")
    ap.add_argument("--faults", default=",".join(FAULTS), help=f"comma-separated, of: {', '.join(FAULTS)}; empty for none")
    args = ap.parse_args()
    names = [n.strip() for n in args.kinds.split(",") if n.strip()]
    unknown = [n for n in names if n not in KINDS]
    if unknown:
        ap.error(f"unknown kind(s) {unknown}; known: {sorted(KINDS)}")
    faults_wanted = tuple(n.strip() for n in args.faults.split(",") if n.strip())
    if set(faults_wanted) - set(FAULTS):
        ap.error(f"unknown fault(s) {sorted(set(faults_wanted) - set(FAULTS))}; known: {', '.join(FAULTS)}")
    plan = QUICK if args.quick else FULL
    ensure_matplotlib()

    def _stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _stop)
    started = time.monotonic()
    stack = Stack(web_workers=args.web_workers)
    ok = False
    try:
        print(f"starting the stack in {stack.dir} …", flush=True)
        stack.start()
        print("driving load" + (" and faults" if faults_wanted else "") + " …", flush=True)
        result = asyncio.run(asyncio.wait_for(run_all(stack, plan, names, faults_wanted), timeout=570))
        headline, ok = write_report(result, args, time.monotonic() - started)
        print(headline)
        print(f"\nreport: {OUT / 'load-report.md'}  ({time.monotonic() - started:.0f} s)")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # tear-down runs to its end
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.close(keep_logs=OUT / "load-logs")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

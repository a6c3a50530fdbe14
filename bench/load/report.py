"""Figures from the driven windows, the Markdown report and its plots."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

from bench.load.driver import Sample, Window


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def family(kind: str) -> str:
    return kind.split(":", 1)[0]


def per_kind(window: Window, by=family) -> dict[str, dict]:
    """Per kind: requests, answered ok, errors, achieved rate, p50/p95/p99 of first attempts."""
    groups: dict[str, list[Sample]] = defaultdict(list)
    for s in window.samples:
        groups[by(s.kind)].append(s)
    out = {}
    for name, samples in sorted(groups.items()):
        first = [s for s in samples if s.attempt == 1]
        ok = [s for s in first if s.ok]
        lat = [s.latency_ms for s in first if s.status > 0]
        out[name] = {"requests": len(first), "ok": len(ok), "errors": len(first) - len(ok),
                     "retries": len(samples) - len(first), "rate": len(ok) / window.seconds,
                     "p50": pct(lat, 50), "p95": pct(lat, 95), "p99": pct(lat, 99)}
    return out


def totals(window: Window) -> dict:
    first = [s for s in window.samples if s.attempt == 1]
    ok = [s for s in first if s.ok]
    lat = [s.latency_ms for s in first if s.status > 0]
    return {"offered": window.offered_rate, "achieved": len(ok) / window.seconds, "requests": len(first),
            "errors": len(first) - len(ok), "p50": pct(lat, 50), "p95": pct(lat, 95), "p99": pct(lat, 99)}


def knee(steps: list[Window], p99_limit_ms: float = 1000.0) -> str:
    """The highest offered rate that was served: achieved within 10% of offered, p99 under the limit, no errors."""
    good = None
    for w in steps:
        t = totals(w)
        if t["achieved"] >= 0.9 * t["offered"] and t["p99"] < p99_limit_ms and t["errors"] == 0:
            good = w.offered_rate
        else:
            break
    if good is None:
        return f"below {steps[0].offered_rate:.0f}/s (the first step already failed)"
    if good == steps[-1].offered_rate:
        return f"above {good:.0f}/s (the last step was still served)"
    return f"between {good:.0f}/s and the next step"


def fmt(v: float, digits: int = 0) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:,.{digits}f}"


def plots(out: Path, windows: list[Window], steps: list[Window], events: list[tuple[float, str]]) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    made = []
    fig, ax = plt.subplots(figsize=(11, 4.5))
    kinds: dict[str, list[Sample]] = defaultdict(list)
    for w in windows:
        for s in w.samples:
            if s.status > 0 and s.attempt == 1:
                kinds[family(s.kind)].append(s)
    for name, samples in sorted(kinds.items()):
        samples.sort(key=lambda s: s.t)
        ax.scatter([s.t for s in samples], [s.latency_ms for s in samples], s=2, alpha=0.35, label=name)
    for t, label in events:
        ax.axvline(t, color="grey", lw=0.7, ls="--")
        ax.text(t, 0.98, label, rotation=90, va="top", ha="right", fontsize=7, transform=ax.get_xaxis_transform())
    _label(ax, "seconds since the first request", "latency, ms (log)",
           "Latency over time per kind (first attempts; dashed lines: phases and faults)", log=True, markerscale=5)
    made.append(_save(plt, fig, out, "latency-over-time.png"))

    if steps:
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
        offered = [w.offered_rate for w in steps]
        a1.plot(offered, offered, ls=":", color="grey", label="offered")
        for name in sorted({family(s.kind) for w in steps for s in w.samples}):
            a1.plot(offered, [per_kind(w).get(name, {}).get("rate", 0) for w in steps], marker="o", label=name)
            a2.plot(offered, [per_kind(w).get(name, {}).get("p99", float("nan")) for w in steps], marker="o",
                    label=f"{name} p99")
        a1.plot(offered, [totals(w)["achieved"] for w in steps], marker="s", color="black", label="all (answered ok)")
        _label(a1, "offered rate, requests/s", "answered ok, requests/s", "Throughput against offered rate", fontsize=8)
        _label(a2, "offered rate, requests/s", "p99 latency, ms (log)", "p99 against offered rate", log=True, fontsize=8)
        made.append(_save(plt, fig, out, "throughput-vs-rate.png"))
    return made


def _label(ax, xlabel: str, ylabel: str, title: str, log: bool = False, **legend) -> None:
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(**legend)


def _save(plt, fig, out: Path, name: str) -> str:
    fig.tight_layout()
    fig.savefig(out / name, dpi=110)
    plt.close(fig)
    return name


def kind_table(window: Window, lag: dict | None = None) -> list[str]:
    lines = ["| kind | requests | ok | errors | retries | answered/s | p50 ms | p95 ms | p99 ms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in per_kind(window, by=lambda k: k).items():
        lines.append(f"| {name} | {r['requests']} | {r['ok']} | {r['errors']} | {r['retries']} | {fmt(r['rate'], 1)} "
                     f"| {fmt(r['p50'], 1)} | {fmt(r['p95'], 1)} | {fmt(r['p99'], 1)} |")
    if lag:
        lines.append(f"| queue lag (callback stored → processed, {lag['count']} events) | | | | | | "
                     f"{fmt(lag['p50'])} | {fmt(lag['p95'])} | {fmt(lag['p99'])} |")
    return lines

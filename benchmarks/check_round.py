"""Benchmark of the check round against a real HTTP server on 127.0.0.1.

The server adds 50 ms to every answer and 100 ms more to the first answer on each new
connection (what TCP and TLS handshakes cost against a real HTTPS API). It serves a fake
GitHub API in a process of its own (``_server_process.py``), so it does not compete with
the check threads for the GIL; every target is a ``github_release`` check of its own
repository.

Measured (medians of ``--runs`` runs):

* cold round of 100 targets vs the concurrency-bound ideal
  ``100 ms + ceil(100 / per_host_limit) * 50 ms``;
* the same round as the reference plugin does it (5 workers, a new connection per request);
* a repeat round after the cache expired, upstream unchanged, with and without a token:
  requests sent, requests charged to the rate limit, wall time;
* a warm round (cache valid) of 1000 targets: time and peak memory;
* growth of cold and warm time at 10, 100 and 1000 targets.

Run: ``.venv/bin/python benchmarks/check_round.py [--runs N] [--no-write]``. Results go to
``benchmarks/RESULTS.md`` under "Check round".
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from _server_process import ServerProcess  # noqa: E402

from softwareupdate_core import Manager  # noqa: E402
from tests.fakes.checks import FakeClock  # noqa: E402

LATENCY = 0.05
CONNECT_LATENCY = 0.1
TOKEN = "bench-token"


class FreshConnectionAdapter(HTTPAdapter):
    """Gives every request a connection pool of its own, so no connection is ever reused."""

    def __init__(self) -> None:
        super().__init__()
        self._pools: list[urllib3.HTTPConnectionPool] = []
        self._pools_lock = threading.Lock()

    def get_connection_with_tls_context(
        self, request: Any, verify: Any, proxies: Any = None, cert: Any = None
    ) -> urllib3.HTTPConnectionPool:
        parts = urlsplit(request.url)
        pool = urllib3.HTTPConnectionPool(parts.hostname, parts.port, maxsize=1)
        with self._pools_lock:
            self._pools.append(pool)
        return pool

    def close(self) -> None:
        with self._pools_lock:
            for pool in self._pools:
                pool.close()
            self._pools.clear()
        super().close()


class ClosingSession(requests.Session):
    """A session that opens a new connection for every request, like the reference plugin."""

    def __init__(self) -> None:
        super().__init__()
        self.headers["Connection"] = "close"
        self.mount("http://", FreshConnectionAdapter())


def github(targets: int) -> ServerProcess:
    """The fake GitHub with ``targets`` repositories, in a process of its own."""
    return ServerProcess(targets, latency=LATENCY, connect_latency=CONNECT_LATENCY, token=TOKEN)


def checks_for(server: ServerProcess, targets: int) -> dict[str, dict[str, Any]]:
    return {
        f"target{i}": {
            "type": "github_release",
            "user": "bench",
            "repo": f"repo{i}",
            "current": "1.0.0",
            "api_url": server.url,
        }
        for i in range(targets)
    }


def manager(
    server: ServerProcess,
    targets: int,
    folder: Path,
    *,
    clock: Optional[FakeClock] = None,
    token: Optional[str] = None,
    session: Optional[requests.Session] = None,
    **settings: Any,
) -> Manager:
    section: dict[str, Any] = {
        "checks": checks_for(server, targets),
        "check_overlay_url": None,
        **settings,
    }
    if token:
        section["credentials"] = {"github": token}
    return Manager(
        section,
        data_folder=folder,
        load_entrypoints=False,
        clock=clock,
        session=session,
    )


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def check_ok(report: Any, targets: int) -> None:
    errors = [s.error_message for s in report.targets.values() if s.error]
    if errors or len(report.targets) != targets:
        raise SystemExit(f"round failed: {errors[:3]}")


def cold_round(targets: int, **settings: Any) -> float:
    with github(targets) as server, tempfile.TemporaryDirectory() as tmp:
        session = ClosingSession() if settings.pop("closing", False) else None
        with manager(server, targets, Path(tmp), session=session, **settings) as m:
            seconds, report = timed(m.check)
            check_ok(report, targets)
        return seconds


def repeat_round(targets: int, token: Optional[str]) -> dict[str, float]:
    with github(targets) as server, tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock()
        with manager(server, targets, Path(tmp), clock=clock, token=token, cache_ttl=10) as m:
            check_ok(m.check(), targets)
        clock.advance(11 * 60)
        server.reset()
        # a new Manager (a new process, e.g. cron) reads the persisted validators
        with manager(server, targets, Path(tmp), clock=clock, token=token, cache_ttl=10) as m:
            seconds, report = timed(m.check)
            check_ok(report, targets)
        stats = server.stats()
        return {
            "requests": stats["requests"],
            "charged": stats["charged"],
            "not_modified": stats["not_modified"],
            "seconds": seconds,
        }


def warm_round(targets: int, repeats: int = 15) -> dict[str, float]:
    with github(targets) as server, tempfile.TemporaryDirectory() as tmp:
        with manager(server, targets, Path(tmp)) as m:
            check_ok(m.check(), targets)
        before = server.stats()["requests"]
        with manager(server, targets, Path(tmp)) as m:
            first, _ = timed(m.check)  # a new Manager: reads the cache file
            times = [timed(m.check)[0] for _ in range(repeats)]
            tracemalloc.start()
            m.check()
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        if server.stats()["requests"] != before:
            raise SystemExit("a warm round sent requests")
        return {"first": first, "seconds": statistics.median(times), "peak": peak}


def warm_medians(targets: int, runs: int) -> dict[str, float]:
    """Medians over ``runs`` runs (each its own server, data folder and Manager)."""
    results = [warm_round(targets) for _ in range(runs)]
    return {key: statistics.median(r[key] for r in results) for key in results[0]}


def measured_on() -> str:
    """The commit, and whether the measured code or the benchmarks had uncommitted changes."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        except OSError:
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "benchmarks", "softwareupdate_core")
    return f"`{commit}`" + (" with uncommitted benchmark changes" if dirty else "")


def machine() -> str:
    cpus = os.cpu_count() or 0
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    return (
        f"{platform.machine()}, {cpus} CPUs shared with other jobs (load average {load} "
        "when the run ended)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    runs = max(1, args.runs)
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    limit, workers = 8, 16
    ideal = CONNECT_LATENCY + math.ceil(100 / limit) * LATENCY
    # ours and the reference style alternate, so both see the same machine load
    ours_runs: list[float] = []
    base_runs: list[float] = []
    for _ in range(runs):
        ours_runs.append(cold_round(100, per_host_limit=limit, max_workers=workers))
        base_runs.append(cold_round(100, per_host_limit=5, max_workers=5, closing=True))
    ours, base = statistics.median(ours_runs), statistics.median(base_runs)
    repeats = {token: [repeat_round(100, token) for _ in range(runs)] for token in (None, TOKEN)}
    growth: list[tuple[int, float, dict[str, float]]] = []
    for n in (10, 100, 1000):
        if n == 100:
            cold = ours  # the cold round above
        else:
            cold = statistics.median(
                cold_round(n, per_host_limit=limit, max_workers=workers) for _ in range(runs)
            )
        growth.append((n, cold, warm_medians(n, runs)))

    say("## Check round")
    say()
    say(
        f"Measured with `benchmarks/check_round.py` on commit {measured_on()}, "
        f"Python {sys.version.split()[0]}, on {machine()}. Every number is the median of "
        f"{runs} runs. The fake GitHub API runs in a separate process on 127.0.0.1 and adds "
        f"{LATENCY * 1000:.0f} ms to every answer and {CONNECT_LATENCY * 1000:.0f} ms more to "
        "the first answer of each new connection; every target is a `github_release` check "
        "of its own repository."
    )
    say()
    say("| measurement | result |")
    say("|---|---|")
    say(
        f"| cold round, 100 targets (max_workers={workers}, per_host_limit={limit}) "
        f"| {ours:.3f} s |"
    )
    say(f"| concurrency-bound ideal 100 ms + ceil(100/{limit}) x 50 ms | {ideal:.3f} s |")
    say(f"| ratio cold / ideal (target <= 1.2) | **{ours / ideal:.2f}** |")
    say(
        "| reference-style round (max_workers=5, per_host_limit=5, a new connection per "
        f"request), same run | {base:.3f} s |"
    )
    say(f"| ratio ours / reference-style | **{ours / base:.2f}** |")
    say()

    say("Repeat round of 100 targets after the cache expired, upstream unchanged (a new")
    say("Manager on the same data folder, so the persisted ETags are sent):")
    say()
    say("| token | requests | answered 304 | charged to the rate limit | wall time |")
    say("|---|---|---|---|---|")
    for token, results in repeats.items():
        say(
            f"| {'yes' if token else 'no'} "
            f"| {statistics.median(r['requests'] for r in results):.0f} "
            f"| {statistics.median(r['not_modified'] for r in results):.0f} "
            f"| {statistics.median(r['charged'] for r in results):.0f} "
            f"| {statistics.median(r['seconds'] for r in results):.3f} s |"
        )
    say()

    say("Growth (cold: a fresh data folder; warm: cache valid, same Manager, median of 15")
    say("rounds per run; first warm: a new Manager reading the cache file; peak memory:")
    say("tracemalloc during one warm round):")
    say()
    say("| targets | cold | warm | first warm round of a new Manager | warm peak memory |")
    say("|---|---|---|---|---|")
    for n, cold, warm in growth:
        say(
            f"| {n} | {cold:.3f} s | {warm['seconds'] * 1000:.1f} ms "
            f"| {warm['first'] * 1000:.1f} ms | {warm['peak'] / 1024:.0f} KiB |"
        )
    say()
    warm_1000 = growth[-1][2]
    say(
        f"Warm round of 1000 targets: **{warm_1000['seconds'] * 1000:.1f} ms** (target: under "
        f"50 ms), peak memory {warm_1000['peak'] / 1024:.0f} KiB. Times on this shared "
        "machine vary by up to 2x between runs; the medians smooth that but do not remove it."
    )

    if not args.no_write:
        write_results("\n".join(lines) + "\n")


def write_results(section: str) -> None:
    """Replace the "Check round" section of RESULTS.md (or append it), leaving others alone."""
    path = ROOT / "benchmarks" / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n\n"
    start = text.find("## Check round")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + ("" if end == -1 else text[end:])
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

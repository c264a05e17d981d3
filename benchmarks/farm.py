"""Benchmark of a print farm: N host processes checking the same 30 GitHub targets.

Every host is a Manager in a process of its own (``tests/farm_worker.py``) with its own data
folder; the fake GitHub runs in a process of its own (``_server_process.py``) and adds 50 ms
to every answer and 100 ms to the first answer of each new connection. For N = 1, 5 and 20
hosts, with and without ``shared_cache`` (a real ``redis-server`` on 127.0.0.1, persistence
off) and with and without a token, it measures a cold farm-wide round (every host checks at
once, nothing cached) and then a forced one (``check(force=True)`` on every host at once):

* upstream requests the forge answered;
* rate-limit units charged under GitHub's rule (a 304 is free only to a request that carries
  a token; every other answer costs one);
* wall time from sending the command to every host until the last host answered (on 2
  cores this is CPU-bound at N = 20: reported, not a target).

Target: with the shared cache, upstream requests per farm round equal the distinct URLs
(30), cold and forced; without it, N x 30. With a token the checks go in GraphQL batches
(one request per host and 50 targets), reported in the same table; a second table shows
one host's cold round of 100 targets with and without a token.

Run: ``.venv/bin/python benchmarks/farm.py [--no-write]``. Results go to
``benchmarks/RESULTS.md`` under "Farm".
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from _server_process import ServerProcess  # noqa: E402

from tests.redisserver import RedisServer  # noqa: E402

LATENCY = 0.05
CONNECT_LATENCY = 0.1
TARGETS = 30
TOKEN = "bench-token"
HOSTS = (1, 5, 20)


def settings(
    api_url: str, redis_url: Optional[str], token: Optional[str], targets: int = TARGETS
) -> dict[str, Any]:
    """One host's ``softwareupdate`` section: github_release checks ``bench/repo{i}``."""
    section: dict[str, Any] = {
        "checks": {
            f"target{i}": {
                "type": "github_release",
                "user": "bench",
                "repo": f"repo{i}",
                "current": "1.0.0",
                "api_url": api_url,
            }
            for i in range(targets)
        },
        "check_overlay_url": None,
    }
    if redis_url is not None:
        section["shared_cache"] = {"url": redis_url, "prefix": "farmbench"}
    if token is not None:
        section["credentials"] = {"github": token}
    return section


class Host:
    """One farm host process; answers ``check``/``force`` with one JSON line."""

    def __init__(self, section: dict[str, Any], folder: Path) -> None:
        config = json.dumps({"settings": section, "folder": str(folder)})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.farm_worker", config],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def read(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("a farm host exited")
        return line.strip()

    def stop(self) -> None:
        if self.process.poll() is None and self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(30)
        if self.process.stdout is not None:
            self.process.stdout.close()


def farm_round(hosts: list[Host], server: ServerProcess, command: str) -> dict[str, Any]:
    """Every host runs ``command`` at once; the forge's counters and the wall time."""
    points_before = server.stats()["graphql_points"]  # a running total, not reset
    server.reset()
    started = time.perf_counter()
    for host in hosts:
        host.send(command)
    answers = [json.loads(host.read()) for host in hosts]
    wall = time.perf_counter() - started
    stats = server.stats()
    failed = sum(len(a["errors"]) for a in answers)
    wrong = sum(1 for a in answers for v in a["remotes"].values() if v != "1.1.0")
    return {
        "requests": stats["requests"],
        "graphql": stats["graphql"],
        "points": stats["graphql_points"] - points_before,
        "charged": stats["charged"],
        "wall": wall,
        "failed": failed,
        "wrong": wrong,
    }


def measure(
    n: int, shared: bool, token: Optional[str], folder: Path, graphql: bool = True
) -> dict[str, Any]:
    """A cold and then a forced farm round of ``n`` hosts (``graphql``: the forge has it)."""
    redis_server = RedisServer(folder / "redis").start() if shared else None
    try:
        with ServerProcess(
            TARGETS,
            latency=LATENCY,
            connect_latency=CONNECT_LATENCY,
            token=TOKEN,
            graphql_mode="ok" if graphql else "unsupported",
        ) as server:
            section = settings(server.url, redis_server.url if redis_server else None, token)
            hosts = [Host(section, folder / f"host{i}") for i in range(n)]
            try:
                for host in hosts:
                    if host.read() != "ready":
                        raise RuntimeError("a farm host did not start")
                cold = farm_round(hosts, server, "check")
                forced = farm_round(hosts, server, "force")
            finally:
                for host in hosts:
                    host.stop()
    finally:
        if redis_server is not None:
            redis_server.stop()
    return {"cold": cold, "forced": forced}


def batched(token: Optional[str], folder: Path, targets: int = 100) -> dict[str, Any]:
    """A cold round of ``targets`` GitHub targets on one host (GraphQL batches with a token)."""
    with ServerProcess(
        targets, latency=LATENCY, connect_latency=CONNECT_LATENCY, token=TOKEN
    ) as server:
        host = Host(settings(server.url, None, token, targets), folder / "host")
        try:
            if host.read() != "ready":
                raise RuntimeError("the host did not start")
            result = farm_round([host], server, "check")
        finally:
            host.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    rows = []
    for n in HOSTS:
        for shared in (False, True):
            for token, graphql in ((None, True), (TOKEN, True), (TOKEN, False)):
                with tempfile.TemporaryDirectory() as tmp:
                    result = measure(n, shared, token, Path(tmp), graphql)
                shown = "no" if token is None else ("yes" if graphql else "yes, REST only")
                rows.append((n, shared, shown, result))
                print(n, shared, shown, json.dumps(result), flush=True)
    one_host = []
    for token in (None, TOKEN):
        with tempfile.TemporaryDirectory() as tmp:
            one_host.append((token, batched(token, Path(tmp))))
        print("batched", bool(token), json.dumps(one_host[-1][1]), flush=True)
    lines = [
        "## Farm",
        "",
        f"`benchmarks/farm.py` on {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}, "
        f"{len(__import__('os').sched_getaffinity(0))} cores: N host processes x {TARGETS} "
        "github_release targets (the same 30 repositories), fake GitHub in its own process "
        f"with {LATENCY * 1000:.0f} ms per answer and {CONNECT_LATENCY * 1000:.0f} ms per new "
        "connection; Redis is a local `redis-server`. A cold round: every host checks at once "
        "with nothing cached; forced: then every host runs `check(force=True)` at once. "
        "Charged: REST rate-limit units under GitHub's rule (a 304 is free only with a "
        "token); points: GraphQL points (a separate budget). With a token the hosts check "
        "these 30 cold targets in one GraphQL batch each (POSTs, not shared by the cache), "
        'so the token rows count N GraphQL requests; "yes, REST only": a token against a '
        "forge without GraphQL (one failed GraphQL request per host and round, then REST). "
        "Wall: until the last host answered (CPU-bound on this machine at N = 20).",
        "",
        "| N | shared_cache | token | cold requests (GraphQL) | cold charged | cold points | "
        "cold wall | forced requests (GraphQL) | forced charged | forced points | forced wall | "
        "failed/wrong |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, shared, token, result in rows:
        cold, forced = result["cold"], result["forced"]
        bad = cold["failed"] + forced["failed"] + cold["wrong"] + forced["wrong"]
        lines.append(
            f"| {n} | {'yes' if shared else 'no'} | {token} | "
            f"{cold['requests']} ({cold['graphql']}) | {cold['charged']} | {cold['points']} | "
            f"{cold['wall']:.2f} s | {forced['requests']} ({forced['graphql']}) | "
            f"{forced['charged']} | {forced['points']} | {forced['wall']:.2f} s | {bad} |"
        )
    lines += [
        "",
        "Batched GitHub checks: one host, a cold round of 100 github_release targets "
        "(no release channels). With a token they go 50 repositories to a GraphQL request; "
        "GraphQL points come from a budget apart from REST's quota.",
        "",
        "| token | requests | of them GraphQL | REST units charged | GraphQL points | wall | "
        "failed/wrong |",
        "|---|---|---|---|---|---|---|",
    ]
    for token, result in one_host:
        lines.append(
            f"| {'yes' if token else 'no'} | {result['requests']} | {result['graphql']} | "
            f"{result['charged']} | {result['points']} | {result['wall']:.2f} s | "
            f"{result['failed'] + result['wrong']} |"
        )
    lines += [
        "",
        f"Target: with the shared cache, requests per farm round = distinct URLs ({TARGETS}), "
        f"cold and forced, against N x {TARGETS} without. failed/wrong: targets (both rounds) "
        "whose check failed or did not report the newest version. A forced round with the "
        "shared cache can take longer than without: the hosts that did not get a URL's lease "
        "poll Redis (every 10 ms, backing off to 100 ms) for the holder's answer instead of "
        "asking upstream themselves.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        from cpu_per_check import write_section

        write_section(HERE / "RESULTS.md", "## Farm", text)


if __name__ == "__main__":
    main()

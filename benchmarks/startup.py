"""Start-up benchmark of the ``softwareupdate`` command; writes "Start-up" in RESULTS.md.

Measures, each as the median of several runs:

* wall time of ``softwareupdate --version`` and ``--help`` against ``python -c pass``
  (target: at most 3x);
* peak memory (``ru_maxrss`` of the child) of a warm-cache ``softwareupdate check`` of 50
  targets (target: under 40 MB), the targets being ``jsondata`` checks answered by a local
  HTTP server during the cold run that fills the cache.

Run: ``python benchmarks/startup.py [--runs N] [--no-write]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
SECTION = "## Start-up"
SCRIPT = Path(sys.executable).with_name("softwareupdate")
TARGETS = 50


def run_child(args: Sequence[str]) -> tuple[float, int, int]:
    """Run ``args``; return (seconds, exit status, peak RSS in KiB) of that one child."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, proc.returncode, int(usage.ru_maxrss)


def median_time(args: Sequence[str], runs: int) -> float:
    run_child(args)  # warm the file system cache
    return statistics.median(run_child(args)[0] for _ in range(runs))


class _Versions(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"version": "2.0.0"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def warm_check_memory(runs: int) -> tuple[float, float, int]:
    """Median peak RSS (MiB) and time of a warm-cache check of TARGETS targets, and its status."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Versions)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = Path(folder, "config.yaml")
            checks = {
                f"target{i:02d}": {
                    "type": "jsondata",
                    "jsondata": f"{url}/t{i}.json",
                    "current": "1.0.0",
                }
                for i in range(TARGETS)
            }
            config.write_text(json.dumps({"check_overlay_url": None, "checks": checks}))
            args = [
                str(SCRIPT),
                "--config",
                str(config),
                "--data-folder",
                str(Path(folder, "data")),
                "check",
            ]
            _t, cold_status, _rss = run_child(args)  # fills the cache
            samples = [run_child(args) for _ in range(runs)]
    finally:
        server.shutdown()
        server.server_close()
    status = max((s[1] for s in samples), default=cold_status)
    return (
        statistics.median(s[2] for s in samples) / 1024,
        statistics.median(s[0] for s in samples),
        status,
    )


def measure(runs: int) -> dict[str, Any]:
    baseline = median_time([sys.executable, "-c", "pass"], runs)
    version = median_time([str(SCRIPT), "--version"], runs)
    help_time = median_time([str(SCRIPT), "--help"], runs)
    _t, _s, baseline_rss = run_child([sys.executable, "-c", "pass"])
    rss, check_time, status = warm_check_memory(max(3, runs // 3))
    return {
        "runs": runs,
        "baseline": baseline,
        "version": version,
        "help": help_time,
        "baseline_rss": baseline_rss / 1024,
        "check_rss": rss,
        "check_time": check_time,
        "check_status": status,
    }


def _commit() -> str:
    """The short commit of the tree being measured, marked when it has local changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            # the results file itself is being rewritten by this run
            [
                "git",
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":!benchmarks/RESULTS.md",
            ],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head} with local changes" if dirty else head or "unknown"


def render(r: dict[str, Any]) -> str:
    ratio_v = r["version"] / r["baseline"]
    ratio_h = r["help"] / r["baseline"]
    verdict_v = "meets" if ratio_v <= 3 else "misses"
    verdict_m = "meets" if r["check_rss"] < 40 else "misses"
    return "\n".join(
        [
            SECTION,
            "",
            f"Measured by `benchmarks/startup.py` on commit `{_commit()}`, {platform.machine()}, "
            "Python "
            f"{platform.python_version()}, {os.cpu_count()} CPUs; medians of {r['runs']} runs "
            f"(memory: of {max(3, r['runs'] // 3)} runs).",
            "",
            "| what | result | target |",
            "|---|---|---|",
            f"| `python -c pass` | {r['baseline'] * 1000:.0f} ms | |",
            f"| `softwareupdate --version` | {r['version'] * 1000:.0f} ms "
            f"(**{ratio_v:.1f}x**) | at most 3x ({verdict_v}) |",
            f"| `softwareupdate --help` | {r['help'] * 1000:.0f} ms ({ratio_h:.1f}x) | |",
            f"| peak memory, `python -c pass` | {r['baseline_rss']:.1f} MB | |",
            f"| peak memory, warm-cache `check` of {TARGETS} targets | "
            f"**{r['check_rss']:.1f} MB** ({r['check_time'] * 1000:.0f} ms, exit status "
            f"{r['check_status']}) | under 40 MB ({verdict_m}) |",
            "",
            "The reference CLI takes 24x the interpreter's start-up and 133 MB.",
            "",
        ]
    )


def write_section(text: str, path: Path = RESULTS) -> None:
    """Replace the "Start-up" section of RESULTS.md (or append it), leaving others alone."""
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n\n"
    start = current.find(SECTION + "\n")
    if start == -1:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        end = current.find("\n## ", start + len(SECTION))
        tail = "" if end == -1 else current[end + 1 :]
        updated = current[:start] + text + ("\n" + tail if tail else "")
    path.write_text(updated, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-write", action="store_true", help="print only")
    options = parser.parse_args(argv)
    text = render(measure(options.runs))
    print(text)
    if not options.no_write:
        write_section(text)


if __name__ == "__main__":
    main()

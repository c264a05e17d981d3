"""Benchmark of a cold ``pypi_release`` round against ``pip index versions`` for the same projects.

A fake simple index on 127.0.0.1 (its own process, so it does not compete with the check
threads for the GIL) serves the real file lists of N projects recorded from pypi.org in
``benchmarks/data/pypi_projects.json.gz`` (file name, Requires-Python, yanked: what the
check reads), as PEP 691 JSON or PEP 503 HTML by the Accept header, adding ``--latency``
seconds to every answer. In the same run it measures:

* a cold round of the N projects (a new Manager on an empty data folder), judged for the
  running interpreter (median of ``--runs``);
* the same round with ``pip_command`` pointing at a virtualenv of another interpreter (if
  one is installed, else of this one), data folder empty: one probe subprocess for all N
  targets (median of ``--runs``);
* ``pip index versions <project>`` run once per project, one after the other, with the same
  interpreter, against the same index (pip's ``--isolated``, no cache);
* how many of the N newest versions agree with pip's ``LATEST``.

Run: ``.venv/bin/python benchmarks/pypi_round.py [--runs N] [--no-write]``. Results go to
``benchmarks/RESULTS.md`` under "pypi_release round". ``--record`` fetches the file lists
afresh from pypi.org (the only time this needs the network).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT)]

DATA = HERE / "data" / "pypi_projects.json.gz"
SECTION = "## pypi_release round"
#: The recorded projects: common dependencies, OctoPrint's world, and the issue's odd cases
#: (Windows-only wheels, Requires-Python steps, odd sdist names, huge pages).
PROJECTS = (
    "pip", "setuptools", "wheel", "attrs", "requests", "urllib3", "certifi", "idna",
    "charset-normalizer", "six", "packaging", "pyyaml", "numpy", "click", "jinja2",
    "markupsafe", "django", "flask", "twisted", "aiohttp", "tensorflow", "pywin32",
    "windows-curses", "docutils", "pillow", "cryptography", "psutil", "pyserial",
    "octoprint", "sentry-sdk",
)  # fmt: skip


# -- recording ----------------------------------------------------------------------------------
def record() -> None:
    """Fetch the PEP 691 pages of PROJECTS from pypi.org and keep what the check reads."""
    from softwareupdate_core.http import HttpClient
    from softwareupdate_core.version_checks._pypi_collect import JSON_TYPE

    pages: dict[str, list[list[Any]]] = {}
    with HttpClient(timeout=(10.0, 60.0)) as http:
        for project in PROJECTS:
            data = http.get(f"https://pypi.org/simple/{project}/", headers={"Accept": JSON_TYPE})
            files = data.json_object()["files"]
            pages[project] = [
                [f["filename"], f.get("requires-python"), f.get("yanked") or False] for f in files
            ]
            print(f"{project}: {len(files)} files", flush=True)
    DATA.parent.mkdir(exist_ok=True)
    payload = {"recorded": time.strftime("%Y-%m-%d", time.gmtime()), "projects": pages}
    DATA.write_bytes(gzip.compress(json.dumps(payload, separators=(",", ":")).encode(), 9))


def load() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(gzip.decompress(DATA.read_bytes()))
    return result


# -- the index process --------------------------------------------------------------------------
def serve(latency: float, max_seconds: float) -> None:
    """The child: serve every recorded project until stdin closes."""
    import threading

    from tests.fakes.pypi import FakeFile, mount_index
    from tests.httpserver import FakeServer

    server = FakeServer(latency=latency).start()
    index = mount_index(server)
    for project, files in load()["projects"].items():
        index.add_project(project, [FakeFile(name, rp, yanked) for name, rp, yanked in files])
    timer = threading.Timer(max_seconds, os._exit, (3,))
    timer.daemon = True
    timer.start()
    print(json.dumps({"url": index.url}), flush=True)
    for _line in sys.stdin:
        pass
    server.stop()


class IndexProcess:
    """The fake index in a child process; its URL is ``.url``."""

    def __init__(self, latency: float, max_seconds: float = 1800.0) -> None:
        command = [sys.executable, __file__, "--serve", "--latency", repr(latency)]
        command += ["--max-seconds", repr(max_seconds)]
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        stdout: Optional[IO[str]] = self._process.stdout
        line = stdout.readline() if stdout is not None else ""
        if not line:
            raise RuntimeError("the benchmark index did not start")
        self.url: str = json.loads(line)["url"]

    def stop(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


# -- measurements -------------------------------------------------------------------------------
def our_round(
    url: str, projects: list[str], pip_command: Optional[list[str]]
) -> tuple[float, dict[str, Optional[str]]]:
    """Seconds of one cold round (fresh Manager and data folder) and each target's newest."""
    from softwareupdate_core import Manager

    checks = {p: {"type": "pypi_release", "package": p, "current": "0"} for p in projects}
    settings: dict[str, Any] = {"checks": checks, "check_overlay_url": None, "index_url": url}
    if pip_command is not None:
        settings["pip_command"] = pip_command
    with tempfile.TemporaryDirectory(prefix="pypi-bench-") as folder:
        manager = Manager(settings, data_folder=folder, load_entrypoints=False)
        start = time.perf_counter()
        report = manager.check()
        took = time.perf_counter() - start
        manager.close()
    newest: dict[str, Optional[str]] = {}
    for name, status in report.targets.items():
        info = status.information
        newest[name] = None if info is None else info.remote.value
        if status.error:
            print(f"  {name}: {status.error_message}", file=sys.stderr)
    return took, newest


def pip_index_versions(python: str) -> list[str]:
    return [python, "-m", "pip", "--isolated", "--disable-pip-version-check", "index", "versions"]


def pip_round(url: str, projects: list[str], python: str) -> tuple[float, dict[str, Optional[str]]]:
    """Seconds of ``pip index versions`` for every project in turn, and pip's LATEST of each."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    latest: dict[str, Optional[str]] = {}
    start = time.perf_counter()
    for project in projects:
        result = subprocess.run(
            [*pip_index_versions(python), project, "--index-url", url, "--no-cache-dir"],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        match = re.search(r"^\s*LATEST:\s*(\S+)", result.stdout, re.MULTILINE)
        if match is None:
            match = re.search(r"^Available versions: ([^,\s]+)", result.stdout, re.MULTILINE)
        latest[project] = match.group(1) if match else None
    return time.perf_counter() - start, latest


def other_python() -> str:
    """An installed Python other than this one (the oldest), else this one."""
    from tests.venvtools import other_pythons

    found = other_pythons()
    return found[0] if found else sys.executable


def make_venv(base: str, folder: Path) -> str:
    subprocess.run([base, "-m", "venv", str(folder)], check=True, timeout=900)
    return str(folder / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python"))


def agreement(ours: dict[str, Optional[str]], pips: dict[str, Optional[str]]) -> list[str]:
    """The projects where our newest differs from pip's LATEST (versions compared as versions)."""
    from packaging.version import Version

    differ = []
    for project, theirs in pips.items():
        mine = ours.get(project)
        same = (mine is None and theirs is None) or (
            mine is not None and theirs is not None and Version(mine) == Version(theirs)
        )
        if not same:
            differ.append(f"{project}: ours {mine}, pip {theirs}")
    return differ


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each of our rounds")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per answer")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--record", action="store_true", help="re-record the file lists")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--max-seconds", type=float, default=1800.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.latency, args.max_seconds)
        return
    if args.record:
        record()
        return

    data = load()
    projects = list(data["projects"])
    files = sum(len(f) for f in data["projects"].values())
    index = IndexProcess(args.latency)
    try:
        with tempfile.TemporaryDirectory(prefix="pypi-bench-venv-") as folder:
            base = other_python()
            target = make_venv(base, Path(folder) / "venv")
            ours_here = [our_round(index.url, projects, None) for _ in range(args.runs)]
            ours_there = [
                our_round(index.url, projects, [target, "-m", "pip"]) for _ in range(args.runs)
            ]
            pip_here = pip_round(index.url, projects, sys.executable)
            pip_there = pip_round(index.url, projects, target)
            target_version = subprocess.run(
                [target, "-c", "import platform; print(platform.python_version())"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
    finally:
        index.stop()

    here = statistics.median(t for t, _ in ours_here)
    there = statistics.median(t for t, _ in ours_there)
    differ_here = agreement(ours_here[0][1], pip_here[1])
    differ_there = agreement(ours_there[0][1], pip_there[1])
    n = len(projects)
    load_avg = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    lines = [
        SECTION,
        "",
        f"Measured with `benchmarks/pypi_round.py` on commit `{commit}`, Python "
        f"{platform.python_version()}, on {platform.machine()}, {os.cpu_count()} CPUs shared "
        f"with other jobs (load average {load_avg} when the run ended). A fake simple index in "
        f"its own process on 127.0.0.1 serves the real file lists of {n} projects recorded from "
        f"pypi.org on {data['recorded']} ({files} files), adding {args.latency * 1000:.0f} ms to "
        f"every answer. Our rounds: medians of {args.runs} cold rounds (new Manager, empty data "
        "folder); pip: `pip index versions` once per project, one after the other.",
        "",
        f"| environment | our cold round, {n} projects | {n} x `pip index versions` | "
        "ratio ours / pip | newest agrees with pip |",
        "|---|---|---|---|---|",
        f"| this Python ({platform.python_version()}) | {here:.2f} s | {pip_here[0]:.1f} s | "
        f"**{here / pip_here[0]:.3f}** | {n - len(differ_here)} / {n} |",
        f"| `pip_command` venv (Python {target_version}), probe included | {there:.2f} s | "
        f"{pip_there[0]:.1f} s | **{there / pip_there[0]:.3f}** | "
        f"{n - len(differ_there)} / {n} |",
        "",
        "The issue's measurement before these rules: 5.5 s against 48.5 s for 60 projects "
        "(ratio 0.113) against the real index.",
    ]
    for label, differ in (("this Python", differ_here), ("the venv", differ_there)):
        if differ:
            lines.append(f"Disagreements ({label}): " + "; ".join(differ) + ".")
    section = "\n".join(lines) + "\n"
    print(section)
    if not args.no_write:
        write_results(section)


def write_results(section: str) -> None:
    """Replace this benchmark's section of RESULTS.md (or append it), leaving others alone."""
    path = ROOT / "benchmarks" / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    start = text.find(SECTION)
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + ("" if end == -1 else text[end + 1 :])
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])

"""Time and peak memory of check rounds against a hostile server (issue 14, items 9 and 10).

* drip: two ``jsondata`` targets whose server sends one byte a second, one in the headers
  and one in the body, for ``--drip-seconds``; ``timeout`` is connect 5 s + read 3 s.
* pages: a ``github_release``, a ``forgejo_release`` and a ``gitlab_release`` target whose
  server links ten pages of 100,000 (pre)releases each.

Each round runs in a child process of its own, which reports its wall time and peak RSS
(``ru_maxrss``). ``--package-root`` measures another checkout of the library (e.g. an
export of ``main`` before the change) against the same server.

Run: ``python benchmarks/hostile_bounds.py [--drip-seconds 130] [--package-root DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import hostile  # noqa: E402

_CHILD = """
import json, resource, sys, time
from softwareupdate_core import Manager
checks, folder = json.loads(sys.argv[1]), sys.argv[2]
started = time.monotonic()
with Manager({"check_overlay_url": None, "checks": checks,
              "timeout": {"connect": 5, "read": 3}},
             data_folder=folder, load_entrypoints=False) as manager:
    report = manager.check(force=True)
print(json.dumps({
    "seconds": round(time.monotonic() - started, 1),
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    "errors": {n: s.error_message for n, s in report.targets.items()},
}))
"""


def run_round(checks: dict[str, object], package_root: Path) -> dict[str, object]:
    """Run one check round in a child process; its wall time, peak RSS and errors."""
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, json.dumps(checks), folder],
            capture_output=True,
            text=True,
            env=env,
            cwd=folder,
            check=False,
        )
    if done.returncode != 0:
        return {"failed": done.stderr.strip().splitlines()[-1:]}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drip-seconds", type=int, default=60)
    parser.add_argument("--package-root", type=Path, default=ROOT)
    args = parser.parse_args()

    server = hostile.HostileServer().start()
    try:
        drip = {
            "drip_headers": {
                "type": "jsondata",
                "jsondata": server.add("/h.json", hostile.drip_headers(args.drip_seconds)),
            },
            "drip_body": {
                "type": "jsondata",
                "jsondata": server.add("/b.json", hostile.drip_body(args.drip_seconds)),
            },
        }
        body = hostile.release_page(100_000)
        for path in (
            "/gh/repos/o/r/releases",
            "/fj/api/v1/repos/o/r/releases",
            "/gl/projects/p/releases",
        ):
            server.add(path, hostile.pages(body, 10, path, lambda: server.url))
        pages = {
            "github": {
                "type": "github_release",
                "user": "o",
                "repo": "r",
                "api_url": server.url + "/gh",
            },
            "forgejo": {
                "type": "forgejo_release",
                "forge": server.url + "/fj/api/v1",
                "user": "o",
                "repo": "r",
            },
            "gitlab": {"type": "gitlab_release", "project": "p", "api_url": server.url + "/gl"},
        }
        for check in pages.values():
            check["current"] = "1.0"  # release checks need the installed version
        print(f"package: {args.package_root}")
        print(f"page body: {len(body) / 1e6:.1f} MB, 100,000 releases, 10 linked pages")
        print(
            "drip (1 byte/s for",
            args.drip_seconds,
            "s):",
            json.dumps(run_round(drip, args.package_root)),
        )
        print("pages:", json.dumps(run_round(pages, args.package_root)))
    finally:
        server.stop()


if __name__ == "__main__":
    main()

"""Wall time of a forced check of 20 GitHub targets through a live OctoPrint, per engine.

Starts stock OctoPrint 1.11.8 (plugin disabled), then with ``engine: core`` and with
``engine: extra_types``, each against the fake forge of the tests (GitHub over TLS behind
the CONNECT proxy, with a token), and times ``/plugin/softwareupdate/check?force=true``.
Run in a virtualenv with OctoPrint 1.11.8, the library and the plugin (``nox -s octoprint``
builds one)::

    python integrations/octoprint/benchmarks/engines.py [--latency 0.05] [--connect 0.1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from live import FakeRelease, Forge, LiveOctoPrint, base_config, github_targets

from tests.fakes.github import Quota

TOKEN = "ghp_benchmarktoken"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per answer")
    parser.add_argument("--connect", type=float, default=0.0, help="extra s per new connection")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="su-octoprint-bench-") as tmp:
        forge = Forge.start(Path(tmp) / "forge")
        forge.github.token = TOKEN
        forge.github.authenticated = Quota(10**6, 10**6)
        forge.github.add_repo("foosel", "OctoPrint", [FakeRelease("1.11.8")])
        forge.tls.latency, forge.tls.connect_latency = args.latency, args.connect
        checks = github_targets(forge, args.targets)
        try:
            for engine in (None, "core", "extra_types"):
                config = base_config(forge, plugin=engine, checks=checks)
                config["plugins"]["softwareupdate"]["credentials"] = {"github": TOKEN}
                live = LiveOctoPrint.start(Path(tmp) / f"octoprint-{engine}", config, forge)
                try:
                    times = []
                    forge.reset_counts()
                    for _ in range(args.rounds):
                        start = time.perf_counter()
                        live.check(force=True)
                        times.append(time.perf_counter() - start)
                    counts = forge.github_counts()
                finally:
                    live.stop()
                print(
                    f"{engine or 'stock':12} median {statistics.median(times):.3f} s "
                    f"(min {min(times):.3f}, max {max(times):.3f}) over {args.rounds} forced "
                    f"checks of {args.targets}+1 targets; GitHub requests {counts['requests']}, "
                    f"304s {counts['not_modified']}, new connections {counts['connections']}, "
                    f"charged to the rate limit {forge.github.charged}",
                    flush=True,
                )
        finally:
            forge.stop()


if __name__ == "__main__":
    main()

"""A farm host (a Manager) in its own process for the farm tests (``-m tests.farm_worker``).

Started with one JSON argument ``{"settings": {...}, "folder": "..."}``; prints ``ready``
once its Manager is built, then answers each stdin line ``check`` or ``force`` with one JSON
line: every target's remote version and error, and the client's request counters. ``quit``
or the end of stdin stops it.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from softwareupdate_core import Manager


def run_round(manager: Manager, force: bool) -> dict[str, Any]:
    """One check round, as JSON-ready data."""
    report = manager.check(force=force)
    stats = manager.http.stats
    return {
        "remotes": {
            name: None if t.information is None else t.information.remote.value
            for name, t in report.targets.items()
        },
        "errors": {name: t.error_message for name, t in report.targets.items() if t.error},
        "sent": stats.sent,
        "shared": stats.shared_answers,
    }


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    config = json.loads(argv[0])
    with Manager(config["settings"], data_folder=config["folder"], load_entrypoints=False) as m:
        print("ready", flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "quit":
                break
            if command not in ("check", "force"):
                print(json.dumps({"error": f"unknown command {command!r}"}), flush=True)
                continue
            print(json.dumps(run_round(m, command == "force")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

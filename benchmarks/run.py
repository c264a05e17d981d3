"""Run every benchmark script in benchmarks/ in turn (what ``nox -s bench`` calls).

Options given here (e.g. ``--runs 7``, ``--no-write``) are passed on to each script that
declares them; a script that does not is run without them. Exits non-zero, after running
the rest, when any script failed.

Run: ``python benchmarks/run.py [--runs N] [--no-write]``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Run first, in this order; any other ``*.py`` here (not starting with "_") follows.
ORDER = ("check_round.py", "startup.py", "conditional_requests.py")


def scripts() -> list[Path]:
    """The benchmark scripts: the known ones first, then the rest by name."""
    found = sorted(
        p for p in HERE.glob("*.py") if not p.name.startswith("_") and p.name != Path(__file__).name
    )
    known = [HERE / name for name in ORDER if (HERE / name) in found]
    return known + [p for p in found if p not in known]


def options_for(script: Path, args: Sequence[str]) -> list[str]:
    """The options of ``args`` that ``script`` declares (``--name`` or ``--name value``)."""
    source = script.read_text(encoding="utf-8")
    chosen: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        name = arg.split("=", 1)[0]
        takes_value = "=" not in arg and i + 1 < len(args) and not args[i + 1].startswith("--")
        group = list(args[i : i + 2]) if takes_value else [arg]
        if name.startswith("--") and f'"{name}"' in source:
            chosen.extend(group)
        i += len(group)
    return chosen


def main(argv: Sequence[str]) -> int:
    failed: list[str] = []
    for script in scripts():
        command = [sys.executable, str(script), *options_for(script, argv)]
        print(f"== {script.name} {' '.join(command[2:])}".rstrip(), flush=True)
        start = time.perf_counter()
        status = subprocess.run(command, cwd=HERE.parent, check=False).returncode
        took = time.perf_counter() - start
        print(f"== {script.name}: exit status {status} after {took:.0f} s", flush=True)
        if status != 0:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

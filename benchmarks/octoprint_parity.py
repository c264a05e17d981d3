"""Parity with OctoPrint 1.11.8 on the real-plugin corpus, on one seeded fake GitHub.

For every case of ``tests/data/real_plugins`` (one target of one plugin on one release
channel, as in ``tests/test_real_plugins.py``), this compares what this library's
``Manager`` reports with what OctoPrint 1.11.8's own check code reports for the same config
against the same fake servers: the remote version value, whether an update is offered, and
whether the check failed. OctoPrint runs in a subprocess of its own venv
(``_octoprint_runner.py`` explains how its hard-coded ``https://api.github.com`` URLs are
pointed at the fake). The fake GitHub and the JSON server run in this process on 127.0.0.1.

Run: ``.venv/bin/python benchmarks/octoprint_parity.py VENV`` where ``VENV`` is a throwaway
venv for OctoPrint (created with ``pip install OctoPrint==1.11.8`` if missing). It prints a
table, the summary "N of M targets agree", and every difference with both answers and the
issue-9 items the difference depends on. It needs no network once the venv exists.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
import venv
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from softwareupdate_core.models import TargetStatus  # noqa: E402
from tests.fakes.github import Quota, mount_github  # noqa: E402
from tests.httpserver import FakeServer  # noqa: E402
from tests.real_plugins import (  # noqa: E402
    Case,
    cases,
    expected,
    load_corpus,
    mounted,
    pending_items,
    run_cases,
    seed,
)

OCTOPRINT = "OctoPrint==1.11.8"
RUNNER = Path(__file__).with_name("_octoprint_runner.py")
Answer = tuple[Optional[str], bool, Optional[str]]


def ensure_venv(path: Path) -> Path:
    """The venv's python; a missing venv is created and OctoPrint 1.11.8 installed into it.

    An existing venv without OctoPrint gets it installed; one with another OctoPrint version
    is refused rather than changed (it may not be a throwaway one).
    """
    python = path / "bin" / "python"
    probe = [str(python), "-c", "import octoprint; print(octoprint.__version__)"]
    if python.exists():
        found = subprocess.run(probe, capture_output=True, text=True, timeout=120)
        version = found.stdout.strip()
        if found.returncode == 0 and version == "1.11.8":
            return python
        if found.returncode == 0:
            raise SystemExit(f"{path} has OctoPrint {version}, not 1.11.8; give another venv")
    else:
        venv.EnvBuilder(with_pip=True).create(path)
    print(f"installing {OCTOPRINT} into {path} (a few minutes)...", file=sys.stderr)
    install = [str(python), "-m", "pip", "install", "-q", OCTOPRINT]
    subprocess.run(install, check=True, timeout=1800)
    return python


def octoprint_answers(python: Path, selected: list[Case], api_url: str, web_url: str) -> Any:
    """OctoPrint's answer per case id, from its own code in the given venv."""
    job = {
        "api_url": api_url,
        "cases": [
            {"id": c.id, "target": c.target, "check": mounted(c, api_url, web_url)}
            for c in selected
        ],
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(job, f)
    try:
        done = subprocess.run(
            [str(python), str(RUNNER), f.name],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    finally:
        Path(f.name).unlink()
    if done.returncode != 0:
        raise SystemExit(f"the OctoPrint runner failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout)


def ours(status: Optional[TargetStatus]) -> Answer:
    if status is None:
        return (None, False, "not listed")
    if status.error is not None:
        return (None, False, status.error)
    remote = None if status.information is None else status.information.remote.value
    return (remote, status.update_available, None)


def theirs(answer: Any) -> Answer:
    if not answer["listed"]:
        return (None, False, "not listed")
    if answer["error"] is not None:
        return (None, False, answer["error"])
    return (answer["remote"], bool(answer["update_available"]), None)


def same(a: Answer, b: Answer) -> bool:
    """Equal remote and offer, both failed or both did not, and both list the target.

    Error kinds are not compared (the two name them differently); a target one side leaves
    out of its report is a difference.
    """
    listed = (a[2] == "not listed") == (b[2] == "not listed")
    return a[:2] == b[:2] and (a[2] is None) == (b[2] is None) and listed


def _wanted(case: Case) -> Answer:
    want = expected(case)
    if want.error is not None:
        return (None, False, want.error)
    return (want.remote, want.update_available, None)


def show(answer: Answer) -> str:
    remote, available, error = answer
    if error is not None:
        return f"error: {error}"
    offer = "update" if available else "current"
    return f"{remote} ({offer})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("venv", type=Path, help="venv for OctoPrint 1.11.8 (created if missing)")
    args = parser.parse_args()
    python = ensure_venv(args.venv.resolve())
    # the differences below say what the library's per-target warnings would
    logging.getLogger("softwareupdate_core").setLevel(logging.ERROR)

    plugins = load_corpus()
    selected = cases(plugins)
    api, web = FakeServer().start(), FakeServer().start()
    try:
        github = mount_github(api)
        github.anonymous = Quota(10**6, 10**6)
        seed(github, web, plugins)
        with tempfile.TemporaryDirectory() as folder:
            mine = run_cases(selected, api.url, web.url, Path(folder))
        reference = octoprint_answers(python, selected, api.url, web.url)
    finally:
        api.stop()
        web.stop()

    rows = []
    for case in selected:
        a, b = theirs(reference[case.id]), ours(mine.get(case.id))
        rows.append((case, a, b, same(a, b)))
    width = max(len(c.id) for c in selected)
    print(f"{'target':<{width}}  {'OctoPrint 1.11.8':<30}  {'softwareupdate-core':<30}  agree")
    for case, a, b, ok in rows:
        print(f"{case.id:<{width}}  {show(a):<30}  {show(b):<30}  {'yes' if ok else 'NO'}")
    agree = sum(ok for *_, ok in rows)
    print(f"\n{agree} of {len(rows)} targets agree")
    wanted = {c.id: _wanted(c) for c in selected}
    issue_agree = [c for c, a, _, _ in rows if same(a, wanted[c.id])]
    print(
        f"(issue 9's answers, tests/real_plugins.py expected(), agree with OctoPrint on "
        f"{len(issue_agree)} of {len(rows)}; the rest is where issue 9 asks for more than "
        "OctoPrint does)"
    )
    differences = [(c, a, b) for c, a, b, ok in rows if not ok]
    if differences:
        print("\nDifferences:")
    for case, a, b in differences:
        as_issue = same(b, wanted[case.id])
        items = "; ".join(pending_items(case)) or "no pending issue-9 item"
        print(f"- {case.id}: OctoPrint {show(a)}; ours {show(b)}")
        print(f"    ours is what issue 9 asks: {'yes' if as_issue else 'no'} ({items})")


if __name__ == "__main__":
    main()

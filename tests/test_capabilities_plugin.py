"""Capabilities of a third-party plugin installed through its entry point into a real venv.

The plugin (tests/data/caps_plugin) declares a commit-style check (``tracks_current=
"after_update"``) and an updater with ``verify``/``rollback``: the rounds give them what the
built-ins get, because they read capabilities and never a type or method name.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.venvtools import REPO, Venv, build_wheel, make_venv

CAPS_PLUGIN = Path(__file__).parent / "data" / "caps_plugin"

PROBE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from softwareupdate_core import Manager

    work = Path(sys.argv[1])
    (work / "head").write_text("abc1234\\n")
    (work / "installed").write_text("old")
    (work / "head2").write_text("2.0")
    (work / "installed2").write_text("1.0")
    settings = {
        "check_overlay_url": None,
        "checks": {
            "tracked": {
                "type": "file_commit", "head_file": str(work / "head"),
                "method": "file_install", "installed_file": str(work / "installed"),
            },
            "rolling": {
                "type": "file_commit", "head_file": str(work / "head2"), "current": "1.0",
                "method": "file_install", "installed_file": str(work / "installed2"),
                "bad_versions": ["2.0"],
            },
        },
    }
    with Manager(settings, data_folder=str(work / "data")) as manager:
        before = manager.check(["tracked"]).targets["tracked"]
        first = manager.update(["tracked"])
        after = manager.check(["tracked"]).targets["tracked"]
        rolled = manager.update(["rolling"])
        result = rolled.results["rolling"]
        print(json.dumps({
            "before_available": before.update_available,
            "first_success": first.results["tracked"].success,
            "after_available": after.update_available,
            "after_current": manager.effective_checks()["tracked"].get("current"),
            "rolling_outcome": result.outcome,
            "rolling_text": result.text,
            "installed2": (work / "installed2").read_text(),
            "rollbacks": (work / "installed2.rollbacks").read_text(),
        }))
    """
)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Venv]:
    """A virtualenv with wheels of the library and the capabilities test plugin."""
    root = tmp_path_factory.mktemp("capsplugin")
    wheels = [build_wheel(REPO, root / "dist"), build_wheel(CAPS_PLUGIN, root / "dist")]
    venv = make_venv(root / "venv")
    venv.install(wheels)
    yield venv


@pytest.fixture(scope="module")
def probe(venv: Venv, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Rounds run inside the venv against the installed plugin, reported as JSON."""
    work = tmp_path_factory.mktemp("capswork")
    proc = venv.run(str(venv.python), "-c", PROBE, str(work), cwd=work)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


@pytest.mark.slow
def test_third_party_commit_check_gets_current_tracking(probe: dict[str, Any]) -> None:
    """After updating a third-party commit-style target, its commit is recorded as current."""
    assert probe["before_available"] is True
    assert probe["first_success"] is True
    assert probe["after_current"] == "abc1234"
    assert probe["after_available"] is False


@pytest.mark.slow
def test_third_party_updater_is_verified_and_rolled_back(probe: dict[str, Any]) -> None:
    """A third-party updater's verify refusal makes the round call its rollback."""
    assert probe["rolling_outcome"] == "rolled_back"
    assert "version 2.0 does not start" in probe["rolling_text"]
    assert probe["installed2"] == "1.0"
    assert probe["rollbacks"] == "1.0\n"

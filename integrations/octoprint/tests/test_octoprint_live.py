"""A stock OctoPrint 1.11.8 server, with and without the plugin, against the fake forge."""

from __future__ import annotations

import time
from typing import Any

import requests
from conftest import GITHUB_TARGETS, DemoPackage
from live import Forge, LiveOctoPrint, answers, dump

GITHUB = [f"plugin{n}" for n in range(GITHUB_TARGETS)] + ["octoprint"]


def test_gitlab_release_target_is_listed_with_its_versions(
    core: LiveOctoPrint, stock: LiveOctoPrint
) -> None:
    """The bundled check API shows the gitlab_release target's versions; stock says 'unknown'."""
    target = core.check()["information"]["gitlab_demo"]
    assert target["error"] is None, dump(target)
    assert target["information"]["local"]["value"] == "1.0.0"
    assert target["information"]["remote"]["value"] == "2.1.0"
    assert target["updateAvailable"] is True
    assert target["releaseNotes"] == "https://gitlab.example/group/project/-/releases/2.1.0"

    unchecked = stock.check()["information"]["gitlab_demo"]
    assert unchecked["error"] == "unknown"
    assert unchecked["updateAvailable"] is False
    assert "AttributeError" in stock.log()


def _two_rounds(live: LiveOctoPrint, forge: Forge) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    counts = []
    result: dict[str, Any] = {}
    for _ in range(2):
        forge.reset_counts()
        result = live.check()
        counts.append(forge.github_counts())
    return result, counts


def test_github_release_answers_match_stock_and_recheck_is_conditional(
    core: LiveOctoPrint, stock: LiveOctoPrint, forge: Forge
) -> None:
    """engine core answers like stock OctoPrint; its forced re-check costs only free 304s."""
    stock_result, stock_counts = _two_rounds(stock, forge)
    core_result, core_counts = _two_rounds(core, forge)
    print("stock", dump(stock_counts), "core", dump(core_counts))

    assert answers(core_result, GITHUB) == answers(stock_result, GITHUB)
    assert answers(core_result, ["plugin0"])["plugin0"] == {
        "local": "1.0.0",
        "remote": "2.0.0",
        "updateAvailable": True,
        "error": None,
    }
    targets = len(GITHUB)
    again = stock_counts[1]
    assert again["requests"] == targets
    assert again["conditional"] == again["not_modified"] == 0
    assert again["connections"] == targets  # a new connection (and TLS handshake) each
    assert again["charged"] == targets

    again = core_counts[1]
    assert again["requests"] == again["conditional"] == again["not_modified"] == targets
    assert again["connections"] < targets  # the kept-alive connections of the first round
    assert again["charged"] == 0  # a 304 to a request with a token costs no rate limit


def _wait_for_log_entry(live: LiveOctoPrint, target: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entries = live.get("/plugin/softwareupdate/updatelog").json()["updatelog"]
        found = [e for e in entries if e["target"] == target]
        if found:
            return dict(found[-1])
        time.sleep(1)
    raise AssertionError(f"no update log entry for {target} within {timeout} s:\n{live.log()}")


def test_pip_update_runs_through_the_library(core: LiveOctoPrint, demo: DemoPackage) -> None:
    """An update through OctoPrint's update API installs 2.0 with the library's pip updater."""
    target = core.check()["information"]["demo"]
    assert target["updateAvailable"] and target["updatePossible"], dump(target)

    answer = core.post("/plugin/softwareupdate/update", {"targets": ["demo"]})
    assert answer.status_code == 200, answer.text
    entry = _wait_for_log_entry(core, "demo", timeout=300)

    assert entry["success"] is True, dump(entry)
    assert (entry["current_version"], entry["target_version"]) == ("1.0", "2.0")
    assert demo.installed_version() == "2.0"
    log = core.log()
    # the library's log lines, put on OctoPrint's bus by the plugin's event sink
    assert "Firing event: plugin_softwareupdate_core_update_target_started" in log
    assert "Firing event: plugin_softwareupdate_core_update_log_line" in log
    assert "demo_pkg-2.0-py3-none-any.whl" in log
    # and OctoPrint's own outcome event
    assert "Firing event: plugin_softwareupdate_update_succeeded" in log


def test_plugin_api_returns_the_managers_report(core: LiveOctoPrint) -> None:
    """GET /api/plugin/softwareupdate_core reports the same targets as the bundled plugin."""
    bundled = core.check()
    answer = core.get("/api/plugin/softwareupdate_core", force="true")
    assert answer.status_code == 200, answer.text
    report = answer.json()

    compared = [*GITHUB, "gitlab_demo", "demo"]
    assert answers(report, compared) == answers(bundled, compared)
    assert report["information"]["mystery"]["error"] == "unknown_check"
    assert report["information"]["gitlab_demo"]["displayName"] == "GitLab demo"

    anonymous = requests.get(f"{core.url}/api/plugin/softwareupdate_core", timeout=60)
    assert anonymous.status_code in (401, 403)


def test_unknown_check_type_is_a_clear_error_without_traceback(core: LiveOctoPrint) -> None:
    """OctoPrint starts cleanly with the plugin; an unknown type is unknown_check, no traceback."""
    target = core.check()["information"]["mystery"]
    assert target["error"] == "unknown_check"
    assert target["updateAvailable"] is False

    log = core.log()
    assert "engine core: check types" in log
    assert "Unknown check type no_such_type for mystery" in log
    assert "Traceback" not in log, log

"""One validator for untrusted remote values: every path that takes a tag refuses it alike."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from softwareupdate_core.config.overlays import sanitize_overlay
from softwareupdate_core.exceptions import CheckError, UpdateError
from softwareupdate_core.http import HttpClient
from softwareupdate_core.remote_values import MAX_LENGTH, value_problem
from softwareupdate_core.updaters import pip, update_script
from softwareupdate_core.updaters.single_file_plugin import file_name
from softwareupdate_core.version_checks import jsondata
from softwareupdate_core.versions import parse_version
from tests.httpserver import FakeServer

#: Hostile tags and the problem the one validator names for each.
HOSTILE = [
    ("-e.evil", "it starts with '-' and could be read as a command-line option"),
    ("v1.0\x1b[2J", "it contains the control character U+001B"),
    ("2.0\u202e", "it contains the control character U+202E"),
    ("9" * (MAX_LENGTH + 1), f"it is longer than {MAX_LENGTH} characters"),
]


@pytest.mark.parametrize(("tag", "problem"), HOSTILE)
def test_a_hostile_tag_is_refused_alike_by_the_check_and_both_command_updaters(
    tag: str, problem: str, server: FakeServer, http: HttpClient, tmp_path: Path
) -> None:
    """A server's hostile version is refused with the same reason by jsondata, pip and
    update_script, and nothing is run."""
    assert value_problem(tag, "version").startswith(problem)
    server.route("/v.json", {"version": tag})
    with pytest.raises(CheckError) as by_check:
        jsondata.get_latest("t", {"jsondata": server.url + "/v.json"}, http=http)
    marker = tmp_path / "ran"
    script = f"touch {marker}"
    with pytest.raises(UpdateError) as by_script:
        update_script.perform_update(
            "t", {"update_script": script, "update_folder": str(tmp_path)}, tag
        )
    with pytest.raises(UpdateError) as by_pip:
        pip.perform_update("t", {"pip": "demo=={target_version}"}, tag)
    for caught in (by_check, by_script, by_pip):
        assert problem in str(caught.value)
    assert not marker.exists()


@pytest.mark.parametrize(("tag", "problem"), HOSTILE[1:])
def test_version_parsing_refuses_with_the_same_reason(tag: str, problem: str) -> None:
    """Comparing versions refuses control characters and overlong strings with that reason."""
    with pytest.raises(CheckError, match="refused") as caught:
        parse_version(tag)
    assert problem in str(caught.value)


@pytest.mark.parametrize(("value", "problem"), HOSTILE)
def test_an_overlay_pip_value_is_refused_with_the_same_reason(
    value: str, problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An overlay's hostile pip requirement is dropped, the log naming the same problem."""
    with caplog.at_level(logging.WARNING, logger="softwareupdate_core.config.overlays"):
        assert sanitize_overlay("t", {"pip": value, "displayName": "T"}) == {"displayName": "T"}
    assert [problem in r.getMessage() for r in caplog.records] == [True]


def test_a_file_name_is_refused_with_the_same_reasons() -> None:
    """A single_file_plugin URL ending in a hostile name is refused naming the problem."""
    with pytest.raises(UpdateError, match="starts with '-'"):
        file_name("https://example.com/-x.py")
    with pytest.raises(UpdateError, match="a hidden file"):
        file_name("https://example.com/.x.py")
    assert file_name("https://example.com/good_plugin.py") == "good_plugin.py"


@pytest.mark.parametrize(
    ("value", "kind", "ok"),
    [
        ("1.2.3", "argument", True),
        ("rc/devel", "branch", True),
        ("rc/devel", "argument", False),
        ("1.0 beta", "version", True),
        ("1.0 beta", "argument", False),
        ("-1", "name", True),
        ("https://host/x/{target_version}.zip", "requirement", True),
        ("../pkg", "requirement", False),
        ("plugin.py", "file_name", True),
        ("a/b.py", "file_name", False),
    ],
)
def test_each_kind_has_its_own_rule(value: str, kind: str, ok: bool) -> None:
    """Stricter kinds refuse what looser kinds allow, and real values pass their kind."""
    assert (value_problem(value, kind) == "") is ok  # type: ignore[arg-type]

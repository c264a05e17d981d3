"""Terminal control in remote text (release names, GitLab descriptions, overlay display names)
never reaches the terminal, the report, the version cache or the update log."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from softwareupdate_core.cli import cli
from softwareupdate_core.remote_values import clean_text
from tests.clirunner import runner
from tests.fakes.forges import FakeGitLab, gitlab_release
from tests.httpserver import FakeServer

# Clear screen, set the window title, ring the bell, colour, an OSC 8 hyperlink, a C1 CSI, a
# bidi override, and carriage returns/newlines that would forge lines of output.
HOSTILE_NAME = "Release 2.0\x1b]0;pwned\x07\x1b[2J\x1b[31m\x9b1m\u202e"
HOSTILE_NOTES = "Notes\r\n[1/1] Updating octoprint (1.0 -> 9.9)\x07\x1b]8;;http://x\x1b\\link"
HOSTILE_DISPLAY = "Plugin\x1b[2K\rOctoPrint\x1bc\x00\x7f"
CONTROL = set(map(chr, [*range(0x20), *range(0x7F, 0xA0)])) | {"\u202e"}


def strings(value: Any) -> list[str]:
    """Every string inside a JSON value (keys too)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings(k), *strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def assert_clean(text: str, where: str) -> None:
    """No control character except the newlines separating lines of output."""
    bad = sorted({c for c in text if c in CONTROL and c != "\n"})
    assert not bad, (where, bad)


def test_control_characters_from_servers_are_stripped_everywhere(
    tmp_path: Path, server: FakeServer
) -> None:
    """A hostile release name, description and overlay display name are shown, reported,
    cached and logged without escape sequences, BEL, C1 controls or forged lines."""
    gitlab = FakeGitLab(server)
    release = gitlab_release("2.0", description=HOSTILE_NOTES, self_link=False)
    gitlab.set_releases("g/p", [{**release, "name": HOSTILE_NAME}])
    server.route("/overlay.json", {"p": {"displayName": HOSTILE_DISPLAY}})
    folder = tmp_path / "p"
    folder.mkdir()
    config = tmp_path / "c.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "check_overlay_url": f"{server.url}/overlay.json",
                "minimum_free_storage": 0,
                "checks": {
                    "p": {
                        "type": "gitlab_release",
                        "project": "g/p",
                        "api_url": gitlab.api_url,
                        "current": "1.0",
                        "method": "update_script",
                        "update_script": f"{sys.executable} -c pass",
                        "update_folder": str(folder),
                    }
                },
            }
        )
    )
    base = ["--config", str(config), "--data-folder", str(tmp_path / "data")]
    outputs: dict[str, str] = {}
    for args in (["check"], ["check", "--json"], ["update", "p"], ["log"], ["log", "--json"]):
        result = runner().invoke(cli, [*base, *args])
        assert result.exit_code == 0, result.output
        outputs[" ".join(args)] = result.stdout + result.stderr
    for where, text in outputs.items():
        assert_clean(text, where)
    report = json.loads(runner().invoke(cli, [*base, "check", "--json"]).stdout)
    status = report["information"]["p"]
    assert status["displayName"] == "Plugin OctoPrint"
    assert status["information"]["remote"]["name"] == "2.0"
    assert status["releaseNotes"] == "Notes [1/1] Updating octoprint (1.0 -> 9.9)link"
    for path in (tmp_path / "data").glob("*.json"):
        for text in strings(json.loads(path.read_text())):
            assert_clean(text, str(path))
    assert "Plugin OctoPrint" in outputs["log"]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("v1.0\x1b]0;title\x07 ok", "v1.0 ok"),
        ("a\x1b[1;31mred\x1b[0m", "ared"),
        ("line\r\nforged", "line forged"),
        ("tab\tsep", "tab sep"),
        ("bell\x07\x00\x7f\x85end", "bell end"),
        ("dcs\x1bPq#0;2\x1b\\done", "dcsdone"),
        ("über ✓ 1.0", "über ✓ 1.0"),
    ],
)
def test_clean_text_keeps_text_and_drops_control(raw: str, clean: str) -> None:
    """Printable text (non-ASCII too) stays; escapes, controls and breaks go or become spaces."""
    assert clean_text(raw) == clean

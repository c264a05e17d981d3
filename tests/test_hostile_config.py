"""Hostile configurations: alias bombs, endless files, out-of-range numbers, format-spec
placeholders. Each is refused (or shown literally) with a clear message, in bounded memory."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from softwareupdate_core.cli import cli
from softwareupdate_core.util import fill_placeholders, render_command
from tests.childcli import run_cli
from tests.clirunner import runner
from tests.httpserver import FakeServer

# A child process of the command needs about 30-40 MiB; a bomb or an unbounded read needs GBs.
MEMORY_BOUND_MIB = 150


def alias_bomb() -> str:
    """A check config whose nine levels of nine aliases expand to ~387 million strings."""
    lines = ["checks:", "  bomb:", "    type: always_current", '    current: "1.0"']
    lines.append("    a0: &a0 [" + ", ".join(['"lol"'] * 9) + "]")
    lines += [f"    a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"


def write_config(tmp_path: Path, checks: dict[str, Any], **extra: Any) -> Path:
    path = tmp_path / "softwareupdate.yaml"
    path.write_text(yaml.safe_dump({"checks": checks, "check_overlay_url": None, **extra}))
    return path


@pytest.mark.parametrize("command", [["config", "validate"], ["check"]])
def test_a_yaml_alias_bomb_is_refused_in_bounded_memory(tmp_path: Path, command: list[str]) -> None:
    """A billion-laughs config fails validate and check with one clear line, using little memory."""
    config = tmp_path / "bomb.yaml"
    config.write_text(alias_bomb())
    data = str(tmp_path / "data")
    result = run_cli("--config", str(config), "--data-folder", data, *command, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "YAML aliases (*name) would expand the document" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.peak_rss_mib < MEMORY_BOUND_MIB


def test_a_self_containing_alias_is_refused(tmp_path: Path) -> None:
    """An alias inside the node it names (a recursive document) is refused, naming its line."""
    config = tmp_path / "loop.yaml"
    config.write_text("checks:\n  a: &loop\n    type: always_current\n    self: [*loop]\n")
    result = runner().invoke(
        cli,
        ["--config", str(config), "--data-folder", str(tmp_path / "d"), "config", "validate"],
    )
    assert result.exit_code == 1
    assert "refers to the node at line 2 that contains it" in result.stderr


def test_dev_zero_as_config_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    """``--config /dev/zero`` stops at the size cap with a clear error, not reading forever."""
    data = str(tmp_path / "data")
    for command in (["config", "validate"], ["check"]):
        result = run_cli("--config", "/dev/zero", "--data-folder", data, *command, cwd=tmp_path)
        assert result.returncode == 1
        assert "/dev/zero: the file is larger than 4 MiB" in result.stderr
        assert result.peak_rss_mib < MEMORY_BOUND_MIB


def test_a_config_that_shares_anchors_still_loads(tmp_path: Path) -> None:
    """Ordinary anchors and merge keys (one block shared by many checks) stay allowed."""
    lines = ["checks:", "  base: &base {type: always_current, current: '1.0'}"]
    lines += [f"  t{i}: {{<<: *base, displayName: T{i}}}" for i in range(200)]
    config = tmp_path / "anchors.yaml"
    config.write_text("\n".join(lines) + "\ncheck_overlay_url: null\n")
    result = runner().invoke(
        cli,
        ["--config", str(config), "--data-folder", str(tmp_path / "d"), "config", "validate"],
    )
    assert result.exit_code == 0, result.output
    assert "201 checks" in result.stdout


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"per_host_limit": 100000000}, "per_host_limit"),
        ({"max_workers": 1000000}, "max_workers"),
        ({"updatelog_cutoff": 1e30}, "updatelog_cutoff"),
        ({"cache_ttl": 1e30}, "cache_ttl"),
        ({"stale_limit": 10**40}, "stale_limit"),
        ({"check_overlay_ttl": 10**12}, "check_overlay_ttl"),
        ({"minimum_free_storage": 10**13}, "minimum_free_storage"),
        ({"max_pages": 10**9}, "max_pages"),
        ({"timeout": 1e300}, "timeout"),
        ({"verify_timeout": 1e300}, "verify_timeout"),
        ({"restart_timeout": 10**20}, "restart_timeout"),
        ({"lock_wait": 1e30}, "lock_wait"),
        ({"busy_poll_interval": 1e30}, "busy_poll_interval"),
        ({"timeout": {"read": 10**9}}, "timeout.read"),
        ({"checks": {"c": {"type": "always_current", "timeout": 1e30}}}, "checks.c.timeout"),
        ({"checks": {"c": {"type": "always_current", "max_pages": 10**9}}}, "checks.c.max_pages"),
        (
            {"checks": {"c": {"type": "always_current", "update_timeout": 1e300}}},
            "checks.c.update_timeout",
        ),
    ],
)
def test_every_number_has_a_range(tmp_path: Path, settings: dict[str, Any], key: str) -> None:
    """An absurd number is a ConfigurationInvalid naming the key and the largest value allowed."""
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"check_overlay_url": None, "checks": {}, **settings}))
    args = ["--config", str(config), "--data-folder", str(tmp_path / "d"), "config", "validate"]
    result = runner().invoke(cli, args)
    assert result.exit_code == 1
    assert f"{config}: {key}: expected a number at most" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_largest_cutoff_still_works(tmp_path: Path) -> None:
    """The highest allowed cutoff, TTL and stale limit leave ``log`` and ``check`` usable."""
    from softwareupdate_core.config.loading import _WHOLE_NUMBERS

    config = write_config(
        tmp_path,
        {"c": {"type": "always_current", "current": "1.0"}},
        updatelog_cutoff=_WHOLE_NUMBERS["updatelog_cutoff"][1],
        cache_ttl=_WHOLE_NUMBERS["cache_ttl"][1],
        stale_limit=_WHOLE_NUMBERS["stale_limit"][1],
    )
    base = ["--config", str(config), "--data-folder", str(tmp_path / "d")]
    assert runner().invoke(cli, [*base, "check"]).exit_code == 0
    result = runner().invoke(cli, [*base, "log"])
    assert result.exit_code == 0, result.output
    assert "The update log is empty." in result.stdout


def test_a_format_spec_in_an_overlay_display_name_is_shown_literally(
    tmp_path: Path, server: FakeServer
) -> None:
    """A remote ``{local_name:>1500000000}`` allocates nothing: the name is shown as written."""
    server.route("/overlay.json", {"t": {"displayName": "{local_name:>1500000000}"}})
    config = tmp_path / "c.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "check_overlay_url": f"{server.url}/overlay.json",
                "checks": {"t": {"type": "always_current", "current": "1.0"}},
            }
        )
    )
    data = str(tmp_path / "data")
    result = run_cli(
        "--config", str(config), "--data-folder", data, "check", "--json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["information"]["t"]["displayName"] == "{local_name:>1500000000}"
    assert result.peak_rss_mib < MEMORY_BOUND_MIB


@pytest.mark.parametrize(
    "template",
    ["{target:>1000}", "{target!r}", "{target.__class__}", "{target[0]}", "{target:{target}}"],
)
def test_only_plain_placeholders_fill_an_update_script(tmp_path: Path, template: str) -> None:
    """An update script with a format spec, conversion, attribute or index fails that target
    with a clear error; nothing runs."""
    marker = tmp_path / "ran.txt"
    script = f'{sys.executable} -c \'open("{marker}", "w").write("x")\' {template}'
    config = write_config(
        tmp_path,
        {
            "c": {
                "type": "never_current",
                "local_version": "1.0.0",
                "remote_version": "1.1.0",
                "method": "update_script",
                "update_script": script,
                "update_folder": str(tmp_path),
            }
        },
        minimum_free_storage=0,
    )
    result = runner().invoke(
        cli, ["--config", str(config), "--data-folder", str(tmp_path / "d"), "update", "c"]
    )
    assert result.exit_code == 1
    assert "is not a plain {name} placeholder" in result.stdout
    assert not marker.exists()


def test_plain_placeholders_still_fill() -> None:
    """``{name}`` fields fill, ``{{``/``}}`` stay literal braces, unknown names stay as written."""
    values = {"target_version": "1.2", "local_name": None}
    assert render_command("pip install x=={target_version}", values) == ["pip", "install", "x==1.2"]
    assert fill_placeholders("{{v}} {target_version} {local_name}|{other}", values) == (
        "{v} 1.2 |{other}"
    )
    assert fill_placeholders("{0[0]} {target_version}", values) == "{0[0]} {target_version}"

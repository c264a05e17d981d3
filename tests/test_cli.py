"""The ``softwareupdate`` command: output, JSON, exit statuses, errors and start-up imports."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result

from softwareupdate_core import events
from softwareupdate_core.cli import EXIT_UPDATES_AVAILABLE, cli
from softwareupdate_core.cli.render import ProgressLine, mask_secrets
from tests.clirunner import runner
from tests.httpserver import FakeServer, Reply

SCRIPT = Path(sys.executable).with_name("softwareupdate")

BASIC_CHECKS: dict[str, Any] = {
    "zeta": {"type": "always_current", "current_version": "2.0.0", "displayName": "Zeta"},
    "octoprint": {"type": "always_current", "current_version": "1.9.0", "displayName": "OctoPrint"},
    "alpha": {
        "type": "never_current",
        "local_version": "1.0.0",
        "remote_version": "1.1.0",
        "displayName": "Alpha plugin",
    },
}


def write_config(tmp_path: Path, checks: dict[str, Any], **extra: Any) -> Path:
    path = tmp_path / "softwareupdate.yaml"
    path.write_text(yaml.safe_dump({"checks": checks, "check_overlay_url": None, **extra}))
    return path


def run(tmp_path: Path, config: Path | None, *args: str) -> Result:
    base = ["--data-folder", str(tmp_path / "data")]
    if config is not None:
        base = ["--config", str(config), *base]
    return runner().invoke(cli, [*base, *args])


def test_version_prints_the_package_version() -> None:
    """``--version`` prints the program name and version and exits 0."""
    from softwareupdate_core import __version__

    result = runner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"softwareupdate, version {__version__}"


def test_help_lists_every_command() -> None:
    """``--help`` lists check, update, log, channels and config."""
    result = runner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("check", "update", "log", "channels", "config"):
        assert f"  {command} " in result.stdout


@pytest.mark.parametrize(
    ("args", "allowed_click"),
    [(["--version"], False), (["--help"], True), (["check", "--help"], True)],
)
def test_start_up_imports_no_heavy_modules(args: list[str], allowed_click: bool) -> None:
    """--version and --help import no requests, pluggy, yaml, attrs; --version not even click."""
    code = textwrap.dedent(
        f"""
        import sys
        from softwareupdate_core.cli import main
        try:
            main({args!r})
        except SystemExit:
            pass
        heavy = ["requests", "pluggy", "yaml", "attrs", "urllib3", "softwareupdate_core.manager"]
        if not {allowed_click!r}:
            heavy.append("click")
        print("LOADED", [m for m in heavy if m in sys.modules])
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "LOADED []" in out
    if args == ["--help"]:
        assert "Usage: softwareupdate" in out


def test_warm_cache_check_imports_no_http_machinery(tmp_path: Path) -> None:
    """A check answered from the cache never imports requests/urllib3 or a check module."""
    config = tmp_path / "config.yaml"
    config.write_text(
        "check_overlay_url: null\nchecks:\n  a:\n    type: jsondata\n"
        "    jsondata: http://127.0.0.1:9/never-asked\n    current: '1.0'\n"
    )
    data = tmp_path / "data"
    code = textwrap.dedent(
        f"""
        import sys
        from softwareupdate_core.store.version_cache import (
            VersionCache, CacheEntry, VERSION_CACHE_FILE
        )
        from softwareupdate_core.models import VersionInformation, VersionRef, RemoteRef
        from softwareupdate_core.config.settings import Settings
        from softwareupdate_core.store.version_cache import config_hash
        import time
        check = dict(Settings.from_yaml({str(config)!r}).checks["a"])
        cache = VersionCache(__import__("pathlib").Path({str(data)!r}) / VERSION_CACHE_FILE,
                             time.time)
        info = VersionInformation(VersionRef("1.0", "1.0"), RemoteRef("1.0", "1.0"))
        cache.put("a", CacheEntry(config_hash(check), True, time.time(), info, True))
        cache.flush()
        from softwareupdate_core.cli import main
        try:
            main(["--config", {str(config)!r}, "--data-folder", {str(data)!r}, "check"])
        except SystemExit as exc:
            print("EXIT", exc.code)
        heavy = ["requests", "urllib3", "softwareupdate_core.version_checks.jsondata"]
        print("LOADED", [m for m in heavy if m in sys.modules])
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    ).stdout
    assert "Up to date" in out
    assert "EXIT 0" in out
    assert "LOADED []" in out


def test_console_script_version_matches_click_version_option() -> None:
    """The fast ``--version`` path prints exactly what click's version option prints."""
    fast = subprocess.run([str(SCRIPT), "--version"], capture_output=True, text=True, check=True)
    slow = runner().invoke(cli, ["--version"])
    assert fast.stdout == slow.stdout


def test_check_prints_one_block_per_target_host_first(tmp_path: Path) -> None:
    """check shows the host target first, each target's versions and state, then a summary."""
    result = run(tmp_path, write_config(tmp_path, BASIC_CHECKS), "check")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("OctoPrint (octoprint)") < out.index("Alpha plugin (alpha)")
    assert out.index("Alpha plugin (alpha)") < out.index("Zeta (zeta)")
    alpha = out[out.index("Alpha plugin (alpha)") :].split("\n\n")[0]
    assert "Installed: 1.0.0" in alpha
    assert "Available: 1.1.0" in alpha
    assert "Update available" in alpha
    zeta = out[out.index("Zeta (zeta)") :].split("\n\n")[0]
    assert "Up to date" in zeta and "Installed: 2.0.0" in zeta
    assert out.rstrip().endswith("3 targets checked: 1 update available.")


def test_check_lists_a_configured_host_target_first(tmp_path: Path) -> None:
    """With the setting host_target, that target is listed first instead of octoprint."""
    config = write_config(tmp_path, BASIC_CHECKS, host_target="zeta")
    out = run(tmp_path, config, "check").stdout
    assert out.index("Zeta (zeta)") < out.index("Alpha plugin (alpha)")
    assert out.index("Alpha plugin (alpha)") < out.index("OctoPrint (octoprint)")


def test_check_only_new_hides_current_targets(tmp_path: Path) -> None:
    """``--only-new`` lists only targets with an update available."""
    result = run(tmp_path, write_config(tmp_path, BASIC_CHECKS), "check", "--only-new")
    assert result.exit_code == 0
    assert "Alpha plugin (alpha)" in result.stdout
    assert "Zeta" not in result.stdout and "OctoPrint (octoprint)" not in result.stdout


def test_check_json_prints_the_report_dict(tmp_path: Path) -> None:
    """``--json`` prints CheckReport.as_dict(): status and per-target information."""
    result = run(tmp_path, write_config(tmp_path, BASIC_CHECKS), "check", "--json", "alpha")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["status"] in ("updateAvailable", "updatePossible")
    assert list(data["information"]) == ["alpha"]
    info = data["information"]["alpha"]
    assert info["updateAvailable"] is True
    assert info["information"]["remote"]["value"] == "1.1.0"


@pytest.mark.parametrize(
    ("targets", "status"), [(["alpha"], EXIT_UPDATES_AVAILABLE), (["zeta", "octoprint"], 0)]
)
def test_check_exit_code_signals_available_updates(
    tmp_path: Path, targets: list[str], status: int
) -> None:
    """``--exit-code`` exits 10 when an update is available and 0 when all are current."""
    result = run(tmp_path, write_config(tmp_path, BASIC_CHECKS), "check", "--exit-code", *targets)
    assert result.exit_code == status


def test_check_against_a_json_document(tmp_path: Path, server: FakeServer) -> None:
    """A jsondata target is checked against a real server and shows the remote version."""
    server.route("/version.json", {"version": "2.5.0"})
    checks = {
        "gist": {"type": "jsondata", "jsondata": f"{server.url}/version.json", "current": "2.4.0"}
    }
    result = run(tmp_path, write_config(tmp_path, checks), "check")
    assert result.exit_code == 0, result.output
    assert "Available: 2.5.0" in result.stdout
    assert "Installed: 2.4.0" in result.stdout
    assert server.hits("/version.json")


def test_check_failure_is_shown_in_words_with_status_1(tmp_path: Path, server: FakeServer) -> None:
    """A server error is shown in words for that target and makes the exit status 1."""
    server.route("/version.json", Reply(500, "boom"))
    checks = {
        "gist": {"type": "jsondata", "jsondata": f"{server.url}/version.json", "current": "1"},
        "octoprint": {"type": "always_current", "current_version": "1.9.0"},
    }
    result = run(tmp_path, write_config(tmp_path, checks), "check")
    assert result.exit_code == 1
    assert "Check failed (the server answered with an error)" in result.stdout
    assert "1 check failed" in result.stdout
    assert "Traceback" not in result.output


def test_unknown_target_is_one_line_and_status_1(tmp_path: Path) -> None:
    """An unknown target name gives one clear line on stderr and exit status 1."""
    result = run(tmp_path, write_config(tmp_path, BASIC_CHECKS), "check", "nosuch")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: unknown target 'nosuch' (configured: alpha, octoprint, zeta)"
    ]


def test_item14_bad_check_value_fails_its_target_only(tmp_path: Path) -> None:
    """issue 9 item 14: a wrong value in one check is that target's config error, named by key."""
    config = tmp_path / "config.yaml"
    config.write_text(
        "plugins:\n  softwareupdate:\n    check_overlay_url: null\n    checks:\n"
        "      x:\n        type: always_current\n        prerelease: maybe\n"
        "      y:\n        type: always_current\n"
    )
    result = run(tmp_path, config, "check", "--json")
    assert result.exit_code == 1
    info = json.loads(result.stdout)["information"]
    assert info["x"]["error"] == "config"
    assert "plugins.softwareupdate.checks.x.prerelease" in info["x"]["errorMessage"]
    assert info["y"]["error"] is None and info["y"]["updateAvailable"] is False


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    """``--debug`` adds the traceback of an expected error."""
    missing = tmp_path / "missing.yaml"
    result = runner().invoke(cli, ["--debug", "--config", str(missing), "check"])
    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert "ConfigurationInvalid" in result.stderr


def test_usage_error_exits_2() -> None:
    """An unknown option is a usage error with exit status 2."""
    result = runner().invoke(cli, ["check", "--no-such-option"])
    assert result.exit_code == 2


def test_console_script_reports_broken_yaml_without_traceback(tmp_path: Path) -> None:
    """The installed console script prints one error line for unparsable YAML and exits 1."""
    config = tmp_path / "broken.yaml"
    config.write_text("checks: [unclosed\n")
    proc = subprocess.run(
        [str(SCRIPT), "--config", str(config), "check"], capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1
    assert "not valid YAML" in proc.stderr and "Traceback" not in proc.stderr


def test_progress_line_is_shown_on_a_terminal_only() -> None:
    """The progress line reacts to CHECK_PROGRESS on a terminal and stays silent elsewhere."""
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, plain = Terminal(), io.StringIO()
    for stream in (tty, plain):
        line = ProgressLine(stream)
        line(events.CHECK_PROGRESS, {"target": "pip", "done": 1, "total": 2})
        line(events.CHECK_STARTED, {"targets": ["pip"]})
        line.clear()
    assert "Checking 1/2: pip" in tty.getvalue()
    assert tty.getvalue().endswith("\r")
    assert plain.getvalue() == ""


def test_check_on_a_terminal_draws_progress_on_stderr(tmp_path: Path) -> None:
    """Run with stderr on a pseudo-terminal, check writes a progress line there, not on stdout."""
    config = write_config(tmp_path, BASIC_CHECKS)
    master, slave = pty.openpty()
    try:
        proc = subprocess.run(
            [str(SCRIPT), "--config", str(config), "--data-folder", str(tmp_path / "d"), "check"],
            stdout=subprocess.PIPE,
            stderr=slave,
            text=True,
            timeout=120,
        )
        os.close(slave)
        slave = -1
        chunks = []
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if slave != -1:
            os.close(slave)
        os.close(master)
    terminal = b"".join(chunks).decode()
    assert proc.returncode == 0
    assert "Checking 3/3" in terminal
    assert "Checking" not in proc.stdout


def test_config_show_masks_secrets(tmp_path: Path) -> None:
    """config show prints the effective checks with passwords, tokens and URL passwords masked."""
    checks = {
        "private": {
            "type": "bitbucket_commit",
            "user": "me",
            "repo": "r",
            "api_user": "me",
            "api_password": "hunter2",
            "pip": "https://me:s3cret@example.com/{target_version}.zip",
        }
    }
    config = write_config(tmp_path, checks, credentials={"github": "ghp_topsecret"})
    result = run(tmp_path, config, "config", "show")
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.stdout
    assert "s3cret" not in result.stdout
    assert "ghp_topsecret" not in result.stdout
    shown = yaml.safe_load(result.stdout)
    assert shown["checks"]["private"]["api_password"] == "***"
    assert shown["checks"]["private"]["api_user"] == "me"
    assert shown["credentials"]["github"] == "***"
    assert shown["checks"]["private"]["pip"] == "https://***@example.com/{target_version}.zip"


def test_mask_secrets_keeps_plain_values() -> None:
    """Masking leaves ordinary values alone and shows objects by their repr."""
    masked = mask_secrets({"type": "x", "token": "", "n": 3, "cb": print, "l": ["a"]})
    assert masked == {"type": "x", "token": "", "n": 3, "cb": repr(print), "l": ["a"]}


def test_config_validate_accepts_a_good_config(tmp_path: Path) -> None:
    """config validate says OK and exits 0 when every type and method exists."""
    result = run(tmp_path, write_config(tmp_path, BASIC_CHECKS), "config", "validate")
    assert result.exit_code == 0
    assert "Configuration OK" in result.stdout and "3 checks" in result.stdout


def test_config_validate_names_unknown_types_and_methods(tmp_path: Path) -> None:
    """config validate lists unknown types and methods and typeless entries, and exits 1."""
    checks = {
        "a": {"type": "nosuch"},
        "b": {"type": "always_current", "method": "teleport"},
        "c": {"tpye": "always_current"},
    }
    result = run(tmp_path, write_config(tmp_path, checks), "config", "validate")
    assert result.exit_code == 1
    assert "checks.a.type: unknown check type 'nosuch'" in result.stderr
    assert "checks.b: unknown update method 'teleport'" in result.stderr
    assert "checks.c: has no 'type' and no plugin provides it" in result.stderr
    assert "3 problems found" in result.stderr


def test_log_is_empty_on_a_fresh_data_folder(tmp_path: Path) -> None:
    """log on a fresh data folder says the update log is empty."""
    result = run(tmp_path, write_config(tmp_path, BASIC_CHECKS), "log")
    assert result.exit_code == 0
    assert result.stdout.strip() == "The update log is empty."


def test_channels_of_unknown_target_fail(tmp_path: Path) -> None:
    """channels with an unknown target exits 1 with one line."""
    result = run(tmp_path, write_config(tmp_path, BASIC_CHECKS), "channels", "nosuch")
    assert result.exit_code == 1
    assert "unknown target 'nosuch'" in result.stderr


def test_channels_requires_a_target() -> None:
    """channels without a target is a usage error."""
    assert runner().invoke(cli, ["channels"]).exit_code == 2


# --- update: a real update script that records what it was asked to do -----------------

UPDATE_SCRIPT = """\
import sys
print("installing", sys.argv[1])
print("a warning", file=sys.stderr)
with open("installed.txt", "w") as handle:
    handle.write(sys.argv[1])
"""


def update_config(tmp_path: Path, *, fail: bool = False) -> Path:
    folder = tmp_path / "component"
    folder.mkdir()
    (folder / "update.py").write_text(UPDATE_SCRIPT + ("sys.exit(3)\n" if fail else ""))
    checks = {
        "component": {
            "type": "never_current",
            "local_version": "1.0.0",
            "remote_version": "1.1.0",
            "displayName": "Component",
            "method": "update_script",
            "update_script": f"{sys.executable} update.py {{target}}",
            "update_folder": str(folder),
        },
        "octoprint": {"type": "always_current", "current_version": "1.9.0"},
    }
    return write_config(tmp_path, checks, minimum_free_storage=0)


def test_update_dry_run_changes_nothing(tmp_path: Path) -> None:
    """update --dry-run prints the planned order and runs no updater."""
    result = run(tmp_path, update_config(tmp_path), "update", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Planned order: component" in result.stdout
    assert "component: 1.0.0 -> 1.1.0" in result.stdout
    assert not (tmp_path / "component" / "installed.txt").exists()


def test_update_streams_output_and_reports_result(tmp_path: Path) -> None:
    """update runs the script, marks its call line, sends stderr to stderr, logs the result."""
    config = update_config(tmp_path)
    result = run(tmp_path, config, "update", "component")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "component" / "installed.txt").read_text() == "1.1.0"
    assert "[1/1] Updating component (1.0.0 -> 1.1.0)" in result.stdout
    assert "  $ " in result.stdout and "update.py 1.1.0" in result.stdout
    assert "installing 1.1.0" in result.stdout
    assert "a warning" in result.stderr and "a warning" not in result.stdout
    assert "component: updated (1.0.0 -> 1.1.0)" in result.stdout
    logged = run(tmp_path, config, "log")
    assert "Component (component)  1.0.0 -> 1.1.0  ok" in logged.stdout


def test_failed_update_exits_1(tmp_path: Path) -> None:
    """A failing update script makes update exit 1 and shows the target as failed."""
    result = run(tmp_path, update_config(tmp_path, fail=True), "update", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["success"] is False
    assert data["results"]["component"]["success"] is False


def test_update_unknown_target_fails(tmp_path: Path) -> None:
    """update with an unknown target exits 1 before anything runs."""
    result = run(tmp_path, update_config(tmp_path), "update", "nosuch")
    assert result.exit_code == 1
    assert not (tmp_path / "component" / "installed.txt").exists()


# --- channels: a GitHub-like release list served locally ------------------------------

RELEASES = [
    {
        "tag_name": "1.3.0rc1",
        "name": "1.3.0rc1",
        "prerelease": True,
        "draft": False,
        "target_commitish": "rc/devel",
        "html_url": "https://example.com/rc1",
    },
    {
        "tag_name": "1.2.0",
        "name": "1.2.0",
        "prerelease": False,
        "draft": False,
        "target_commitish": "main",
        "html_url": "https://example.com/120",
    },
]


def channel_config(tmp_path: Path, server: FakeServer) -> Path:
    server.route("/repos/someone/thing/releases", RELEASES)
    checks = {
        "thing": {
            "type": "github_release",
            "user": "someone",
            "repo": "thing",
            "current": "1.2.0",
            "api_url": server.url,
            "stable_branch": {"branch": "main", "name": "Stable", "commitish": ["main"]},
            "prerelease_branches": [
                {"branch": "rc/devel", "name": "Devel RCs", "commitish": ["rc/devel", "main"]}
            ],
        }
    }
    return write_config(tmp_path, checks)


def test_channels_show_and_switch(tmp_path: Path, server: FakeServer) -> None:
    """channels lists the channels with the followed one marked and switches to another."""
    config = channel_config(tmp_path, server)
    shown = run(tmp_path, config, "channels", "thing")
    assert shown.exit_code == 0, shown.output
    assert "* main: Stable (stable)" in shown.stdout
    assert "  rc/devel: Devel RCs" in shown.stdout
    switched = run(tmp_path, config, "channels", "thing", "rc/devel")
    assert switched.exit_code == 0, switched.output
    assert "* rc/devel: Devel RCs" in switched.stdout
    checked = run(tmp_path, config, "check", "--force", "thing")
    assert "Available: 1.3.0rc1" in checked.stdout


def test_channels_unknown_channel_fails(tmp_path: Path, server: FakeServer) -> None:
    """Switching to a channel the target does not offer exits 1 naming the choices."""
    result = run(tmp_path, channel_config(tmp_path, server), "channels", "thing", "nightly")
    assert result.exit_code == 1
    assert "no release channel 'nightly'" in result.stderr
    assert "main, rc/devel" in result.stderr

"""Hostile files and bad luck in the data folder: planted links, full and read-only disks,
folders where files belong, temp files of killed writers, a slow server during ``update``."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result

from softwareupdate_core import Manager
from softwareupdate_core.cli import cli
from softwareupdate_core.exceptions import SoftwareUpdateError
from softwareupdate_core.http import HttpClient
from softwareupdate_core.updaters import single_file_plugin
from tests.clirunner import runner
from tests.httpserver import FakeServer, Reply
from tests.smallfs import SmallDisk

CHECKS: dict[str, Any] = {
    "octoprint": {"type": "always_current", "current_version": "1.9.0"},
    "alpha": {"type": "never_current", "local_version": "1.0.0", "remote_version": "1.1.0"},
}


@pytest.fixture
def small_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmallDisk]:
    """A folder on a 64 KB file system with few inodes, unmounted after the test."""
    disk = SmallDisk(tmp_path / "small", monkeypatch)
    try:
        yield disk
    finally:
        disk.close()


def write_config(tmp_path: Path, checks: dict[str, Any], **extra: Any) -> Path:
    path = tmp_path / "softwareupdate.yaml"
    settings = {"checks": checks, "check_overlay_url": None, "minimum_free_storage": 0, **extra}
    path.write_text(yaml.safe_dump(settings))
    return path


def run(data: Path, config: Path, *args: str) -> Result:
    return runner().invoke(cli, ["--config", str(config), "--data-folder", str(data), *args])


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The warnings the library logged (what the command prints on stderr), then forget them."""
    found = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("softwareupdate_core")
    ]
    caplog.clear()
    return found


def one_line(result: Result) -> str:
    """The error line of a failed command; it must be exactly one line and no traceback."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    return lines[0]


def manager(data: Path, checks: dict[str, Any] = CHECKS, **extra: Any) -> Manager:
    settings = {"checks": checks, "check_overlay_url": None, "minimum_free_storage": 0, **extra}
    return Manager(settings, data_folder=data, load_entrypoints=False)


# -- item 1: lock files are never followed through links, never truncated -------------------


def test_a_symlinked_update_lock_neither_truncates_its_target_nor_is_used(
    tmp_path: Path,
) -> None:
    """An update.lock link to another file leaves that file intact on check and update."""
    data = tmp_path / "data"
    data.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious data\n")
    (data / "update.lock").symlink_to(victim)
    config = write_config(tmp_path, CHECKS)

    checked = run(data, config, "check")
    assert checked.exit_code == 0, checked.output
    updated = run(data, config, "update")
    assert updated.exit_code == 1
    line = one_line(updated)
    assert str(data / "update.lock") in line and "symbolic link" in line
    assert victim.read_text() == "precious data\n"


def test_a_hard_linked_update_lock_is_refused_and_its_file_kept(tmp_path: Path) -> None:
    """An update.lock hard link to another file is refused by update; the file keeps its data."""
    data = tmp_path / "data"
    data.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious data\n")
    os.link(victim, data / "update.lock")
    config = write_config(tmp_path, CHECKS)

    assert run(data, config, "check").exit_code == 0
    updated = run(data, config, "update")
    assert updated.exit_code == 1
    assert "hard link" in one_line(updated)
    assert victim.read_text() == "precious data\n"


def test_a_dangling_lock_link_creates_nothing_outside_the_data_folder(tmp_path: Path) -> None:
    """Dangling update.lock and state.json.lock links create no file where they point."""
    data = tmp_path / "data"
    data.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (data / "update.lock").symlink_to(outside / "planted")
    (data / "state.json.lock").symlink_to(outside / "planted-too")

    with manager(data) as m:
        report = m.check()
        assert report.targets["alpha"].update_available
        with pytest.raises(SoftwareUpdateError, match="symbolic link") as info:
            m.skip("alpha", "1.1.0")
    assert str(data / "state.json.lock") in str(info.value)
    assert list(outside.iterdir()) == []


def test_a_data_file_lock_link_does_not_truncate_its_target(tmp_path: Path) -> None:
    """A *.json.lock link to another file is refused, and that file keeps its content."""
    data = tmp_path / "data"
    data.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious data\n")
    for name in ("state.json.lock", "update_log.json.lock", "version_cache.json.lock"):
        (data / name).symlink_to(victim)

    with manager(data) as m:
        m.check()
        with pytest.raises(SoftwareUpdateError, match="symbolic link"):
            m.skip("alpha", "1.1.0")
        m.update()
    assert victim.read_text() == "precious data\n"


# -- item 14: update runs one check round ----------------------------------------------------


def test_update_asks_a_failing_server_once_like_check(tmp_path: Path, server: FakeServer) -> None:
    """`update` makes as many requests to an erroring server as one `check`, not twice as many."""
    server.route("/repos/someone/thing/releases", Reply(503, "down"))
    checks = {
        "thing": {
            "type": "github_release",
            "user": "someone",
            "repo": "thing",
            "current": "1.0.0",
            "api_url": server.url,
        },
        "octoprint": {"type": "always_current", "current_version": "1.9.0"},
        "component": {  # something to update, so the round runs
            "type": "never_current",
            "local_version": "1.0.0",
            "remote_version": "1.1.0",
            "method": "update_script",
            "update_script": f"{sys.executable} -c pass",
            "update_folder": str(tmp_path),
        },
    }
    config = write_config(tmp_path, checks)
    checked = run(tmp_path / "data", config, "check", "--force")
    assert checked.exit_code == 1
    per_round = len(server.hits("/repos/someone/thing/releases"))
    assert per_round >= 1
    server.reset_counts()
    before = len(server.hits("/repos/someone/thing/releases"))

    updated = run(tmp_path / "data", config, "update")
    assert "component: updated (1.0.0 -> 1.1.0)" in updated.stdout, updated.output
    assert "thing: FAILED" in updated.stdout and "its check failed" in updated.stdout
    assert len(server.hits("/repos/someone/thing/releases")) - before == per_round


def test_update_still_shows_its_plan_and_results(tmp_path: Path) -> None:
    """The one-round `update` shows the planned order, each target, and the outcome."""
    folder = tmp_path / "component"
    folder.mkdir()
    checks = {
        "component": {
            "type": "never_current",
            "local_version": "1.0.0",
            "remote_version": "1.1.0",
            "method": "update_script",
            "update_script": f"{sys.executable} -c pass",
            "update_folder": str(folder),
        },
        "octoprint": {"type": "always_current", "current_version": "1.9.0"},
    }
    result = run(tmp_path / "data", write_config(tmp_path, checks), "update")
    assert result.exit_code == 0, result.output
    assert "Planned order: component" in result.stdout
    assert "[1/1] Updating component (1.0.0 -> 1.1.0)" in result.stdout
    assert "component: updated (1.0.0 -> 1.1.0)" in result.stdout


# -- item 17: full and read-only disks, folders in the way, a full plugin folder -------------


def test_a_full_disk_is_a_clear_error_and_keeps_the_old_state(small_disk: SmallDisk) -> None:
    """Writing state on a full disk names state.json and the cause; the old file stays."""
    data = small_disk.folder / "data"
    with manager(data) as m:
        m.skip("alpha", "1.1.0")
        before = (data / "state.json").read_bytes()
        small_disk.fill()
        with pytest.raises(SoftwareUpdateError) as info:
            m.unskip("alpha")
    message = str(info.value)
    assert f"cannot write {data / 'state.json'}" in message
    assert "no space left" in message
    assert (data / "state.json").read_bytes() == before
    assert not [p for p in data.iterdir() if p.name.endswith(".tmp")]


def test_no_free_inodes_is_a_clear_error(small_disk: SmallDisk) -> None:
    """With no inode left, taking a new data-file lock names the file and the cause."""
    data = small_disk.folder / "data"
    data.mkdir()
    small_disk.use_up_inodes()
    with manager(data) as m:
        with pytest.raises(SoftwareUpdateError) as info:
            m.skip("alpha", "1.1.0")
        assert m.check().targets["alpha"].update_available  # a check still works
    message = str(info.value)
    assert "state.json" in message and "no space left" in message and "inodes" in message


def test_a_full_disk_during_check_and_update_gives_clear_lines(
    tmp_path: Path, small_disk: SmallDisk, caplog: pytest.LogCaptureFixture
) -> None:
    """On a full data disk `check` still answers and `update` logs no traceback."""
    data = small_disk.folder / "data"
    folder = tmp_path / "component"
    folder.mkdir()
    checks = {
        **CHECKS,
        "alpha": {
            **CHECKS["alpha"],
            "method": "update_script",
            "update_script": f"{sys.executable} -c pass",
            "update_folder": str(folder),
        },
    }
    config = write_config(tmp_path, checks)
    assert run(data, config, "update").exit_code == 0
    log_before = (data / "update_log.json").read_bytes()
    small_disk.fill()

    caplog.clear()
    checked = run(data, config, "check")
    assert checked.exit_code == 0, checked.output
    assert all("Traceback" not in w for w in warnings_of(caplog))
    updated = run(data, config, "update")
    assert "Traceback" not in updated.output and "unexpected" not in updated.output
    warnings = warnings_of(caplog)
    assert f"cannot write the update log: cannot write {data / 'update_log.json'}: " in (
        "\n".join(warnings)
    )
    assert all("no space left on the device" in w for w in warnings), warnings
    assert (data / "update_log.json").read_bytes() == log_before


def test_an_update_lock_that_is_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    """A folder named update.lock: `check` still works, `update` says what is wrong in one line."""
    data = tmp_path / "data"
    (data / "update.lock").mkdir(parents=True)
    config = write_config(tmp_path, CHECKS)

    checked = run(data, config, "check", "--json")
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["information"]["alpha"]["updateAvailable"] is True
    updated = run(data, config, "update")
    assert updated.exit_code == 1
    line = one_line(updated)
    assert str(data / "update.lock") in line and "it is a folder" in line
    (data / "state.json.lock").mkdir()
    with manager(data) as m, pytest.raises(SoftwareUpdateError) as info:
        m.skip("alpha", "1.1.0")
    assert f"{data / 'state.json.lock'}: it is a folder" in str(info.value)


def test_a_read_only_data_folder_still_allows_log_config_and_check(
    tmp_path: Path, small_disk: SmallDisk, caplog: pytest.LogCaptureFixture
) -> None:
    """On a read-only data folder log/config show/check work, saying once that nothing is saved."""
    data = small_disk.folder / "data"
    folder = tmp_path / "component"
    folder.mkdir()
    checks = {
        **CHECKS,
        "alpha": {
            **CHECKS["alpha"],
            "method": "update_script",
            "update_script": f"{sys.executable} -c pass",
            "update_folder": str(folder),
        },
    }
    config = write_config(tmp_path, checks)
    assert run(data, config, "update").exit_code == 0
    small_disk.make_read_only()

    logged = run(data, config, "log")
    assert logged.exit_code == 0, logged.output
    assert "(alpha)  1.0.0 -> 1.1.0  ok" in logged.stdout
    shown = run(data, config, "config", "show")
    assert shown.exit_code == 0, shown.output
    caplog.clear()
    checked = run(data, config, "check")
    assert checked.exit_code == 0, checked.output
    assert "alpha" in checked.stdout
    assert warnings_of(caplog) == [
        f"data folder {data} is read-only: checks run, but nothing is saved "
        "and updates are not possible"
    ]
    updated = run(data, config, "update")
    assert updated.exit_code == 1
    assert "read-only" in one_line(updated)


def test_a_full_plugin_folder_names_the_file_and_keeps_the_old_plugin(
    small_disk: SmallDisk, server: FakeServer
) -> None:
    """Installing into a full plugin folder fails naming the plugin file; the old one stays."""
    plugins = small_disk.folder / "plugins"
    plugins.mkdir()
    (plugins / "demo_plugin.py").write_text("VERSION = 1\n")
    server.route("/demo_plugin.py", Reply(200, "VERSION = 2\n" + "#" * 8000 + "\n"))
    small_disk.fill()
    check = {"url": server.url + "/demo_plugin.py", "plugin_folder": str(plugins)}
    with HttpClient(timeout=(2.0, 2.0)) as http, pytest.raises(SoftwareUpdateError) as info:
        single_file_plugin.perform_update("demo", check, "2", http=http)
    destination = plugins / "demo_plugin.py"
    assert str(info.value) == (
        f"cannot write {destination}: no space left on the device (or no free inodes)"
    )
    assert (plugins / "demo_plugin.py").read_text() == "VERSION = 1\n"


def test_the_free_space_guard_includes_a_checks_own_plugin_folder(
    tmp_path: Path, small_disk: SmallDisk
) -> None:
    """A check's own plugin_folder on a nearly full disk refuses the round, naming that folder."""
    plugins = small_disk.folder / "plugins"
    plugins.mkdir()
    checks = {
        **CHECKS,
        "demo": {
            "type": "never_current",
            "local_version": "1",
            "remote_version": "2",
            "method": "single_file_plugin",
            "url": "http://127.0.0.1:9/demo_plugin.py",
            "plugin_folder": str(plugins),
        },
    }
    with manager(tmp_path / "data", checks, minimum_free_storage=1) as m:
        plan = m.plan_update(["demo"])
    assert plan.refused is not None
    assert f"not enough free space in the plugin folder {plugins}" in plan.refused


# -- item 20: temp files of a killed writer are removed on the next start --------------------

KILLED_WRITER = textwrap.dedent(
    """
    import os, sys, time
    from softwareupdate_core.store import documents

    def hang(*args):
        print("written", flush=True)
        time.sleep(120)

    os.replace = hang  # killed after the temp file is complete, before the rename
    documents.atomic_write(sys.argv[1], "x" * 1000)
    """
)


def test_stale_temp_files_of_a_killed_writer_are_removed_on_start(tmp_path: Path) -> None:
    """A temp file left by a writer killed mid-write is gone once a Manager starts."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "state.json").write_text("{}")
    with subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(data / "state.json")],
        stdout=subprocess.PIPE,
        text=True,
    ) as writer:
        try:
            assert writer.stdout is not None and writer.stdout.readline() == "written\n"
        finally:
            writer.kill()
            writer.wait()
    leftovers = [p for p in data.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1
    live = data / f".update_log.json.{os.getpid()}.abcdefgh.tmp"  # a writer still running
    live.write_text("in progress")

    with manager(data):
        pass
    assert sorted(p.name for p in data.iterdir()) == sorted(["state.json", live.name])

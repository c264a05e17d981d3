"""OctoPrint parity on real-shaped plugin configurations (issue 9, and issue 14 item 3).

The check configs below are literal copies of the shape real plugins return from
``get_update_information()`` (the repository each follows is named in a comment), run through
:class:`Manager` against the fake GitHub (or index, or document server) on 127.0.0.1.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Optional

import pytest

from softwareupdate_core import events
from softwareupdate_core.manager import Manager
from softwareupdate_core.updaters import update_script
from tests.fakes.checks import ConfigProvider
from tests.fakes.github import FakeGitHub, FakeRelease, mount_github
from tests.fakes.pypi import FakeFile, mount_index
from tests.fakes.updates import Recorder, RoundPlugin, Versions
from tests.httpserver import FakeServer, Reply


def octoprint_like(api_url: str, **extra: Any) -> dict[str, Any]:
    """The ``octoprint`` check as OctoPrint 1.11.8 ships it (plugins/softwareupdate defaults)."""
    return {
        "type": "github_release",
        "user": "OctoPrint",
        "repo": "OctoPrint",
        "api_url": api_url,
        "method": "pip",
        "pip": "https://github.com/OctoPrint/OctoPrint/archive/{target_version}.zip",
        "restart": "octoprint",
        "stable_branch": {"branch": "master", "commitish": ["master", "main"], "name": "Stable"},
        "prerelease_branches": [
            {
                "branch": "rc/maintenance",
                "commitish": ["rc/maintenance", "next"],
                "name": "Maintenance RCs",
            },
            {
                "branch": "rc/devel",
                "commitish": ["rc/maintenance", "rc/devel", "next"],
                "name": "Devel RCs",
            },
        ],
        "current": "1.11.8",
        **extra,
    }


def eeprom_marlin(api_url: str, **extra: Any) -> dict[str, Any]:
    """cp2004/OctoPrint-EEPROM-Marlin's config: ``comittish``, a channel named unlike its list."""
    return {
        "displayName": "Marlin EEPROM Editor",
        "displayVersion": "3.0.0",
        "type": "github_release",
        "user": "cp2004",
        "repo": "OctoPrint-EEPROM-Marlin",
        "api_url": api_url,
        "current": "3.0.0",
        "stable_branch": {"name": "Stable", "branch": "master", "comittish": ["master"]},
        "prerelease_branches": [
            {"name": "Release Candidate", "branch": "pre-release", "comittish": ["rc", "master"]}
        ],
        "pip": "https://github.com/cp2004/OctoPrint-EEPROM-Marlin/archive/{target_version}.zip",
        **extra,
    }


def backup_scheduler(api_url: str, **extra: Any) -> dict[str, Any]:
    """jneilliii/OctoPrint-BackupScheduler's config (stable + ``rc`` channel, pip archive)."""
    return {
        "displayName": "Backup Scheduler",
        "displayVersion": "0.1.9",
        "type": "github_release",
        "user": "jneilliii",
        "repo": "OctoPrint-BackupScheduler",
        "api_url": api_url,
        "current": "0.1.9",
        "stable_branch": {"name": "Stable", "branch": "master", "comittish": ["master"]},
        "prerelease_branches": [
            {"name": "Release Candidate", "branch": "rc", "comittish": ["rc", "master"]}
        ],
        "pip": "https://github.com/jneilliii/OctoPrint-BackupScheduler/archive/{target_version}.zip",
        **extra,
    }


@pytest.fixture
def github(server: FakeServer) -> FakeGitHub:
    return mount_github(server)


@pytest.fixture
def managers(tmp_path: Path) -> Iterator[list[Manager]]:
    made: list[Manager] = []
    yield made
    for manager in made:
        manager.close()


def manager_for(
    tmp_path: Path,
    managers: list[Manager],
    checks: Mapping[str, Any],
    *plugins: object,
    events: Optional[Recorder] = None,
    **settings: Any,
) -> Manager:
    """A Manager on ``checks`` with no overlay, small free-space needs and no entry points."""
    manager = Manager(
        {"checks": dict(checks), "check_overlay_url": None, "minimum_free_storage": 1, **settings},
        data_folder=tmp_path / "data",
        plugins=list(plugins),
        load_entrypoints=False,
        events=events,
    )
    managers.append(manager)
    return manager


# -- release channels ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "expected"),
    [("rc/maintenance", "1.11.9"), ("rc/devel", "1.12.0rc1"), (None, "1.11.9")],
)
def test_item01_stable_release_on_every_channel(
    tmp_path: Path,
    managers: list[Manager],
    github: FakeGitHub,
    channel: Optional[str],
    expected: str,
) -> None:
    """issue 9 item 1: a newer stable release is offered on an RC channel not listing master."""
    github.add_repo(
        "OctoPrint",
        "OctoPrint",
        [
            FakeRelease("1.12.0rc1", prerelease=True, target_commitish="rc/devel"),
            FakeRelease("1.11.9", target_commitish="master"),
            FakeRelease("1.11.9rc1", prerelease=True, target_commitish="rc/maintenance"),
            FakeRelease("1.11.8", target_commitish="master"),
        ],
    )
    extra = {} if channel is None else {"prerelease": True, "prerelease_channel": channel}
    checks = {"octoprint": octoprint_like(github.api_url, **extra)}
    status = manager_for(tmp_path, managers, checks).check().targets["octoprint"]
    assert status.error is None
    assert (status.remote_version, status.update_available) == (expected, True)


def test_item02_undefined_channel_matches_its_own_name(
    tmp_path: Path, managers: list[Manager], github: FakeGitHub
) -> None:
    """issue 9 item 2: a channel not among the branches takes prereleases tagged on its name."""
    github.add_repo(
        "cp2004",
        "OctoPrint-EEPROM-Marlin",
        [
            FakeRelease("3.2.0rc1", prerelease=True, target_commitish="devel"),
            FakeRelease("3.1.0rc1", prerelease=True, target_commitish="rc"),
            FakeRelease("3.0.1", target_commitish="master"),
        ],
    )
    checks = {"eeprom": eeprom_marlin(github.api_url, prerelease=True, prerelease_channel="rc")}
    status = manager_for(tmp_path, managers, checks).check().targets["eeprom"]
    assert (status.remote_version, status.update_available) == ("3.1.0rc1", True)
    assert status.release_channels is not None
    assert status.release_channels.current == "rc"


def test_item03_comittish_is_read_as_commitish_with_one_warning(
    tmp_path: Path,
    managers: list[Manager],
    github: FakeGitHub,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """issue 9 item 3: a ``comittish`` list filters the channel; one warning names the key."""
    github.add_repo(
        "cp2004",
        "OctoPrint-EEPROM-Marlin",
        [
            FakeRelease("3.1.0rc1", prerelease=True, target_commitish="rc"),
            FakeRelease("3.0.1", target_commitish="master"),
        ],
    )
    checks = {
        "eeprom": eeprom_marlin(github.api_url, prerelease=True, prerelease_channel="pre-release")
    }
    manager = manager_for(tmp_path, managers, checks)
    with caplog.at_level(logging.WARNING):
        status = manager.check().targets["eeprom"]
        manager.check(force=True)
        manager.effective_checks()
    assert (status.remote_version, status.update_available) == ("3.1.0rc1", True)
    warnings = [r.getMessage() for r in caplog.records if "misspelt" in r.getMessage()]
    assert len(warnings) == 1
    assert "checks.eeprom" in warnings[0]
    assert "prerelease_branches[0].comittish" in warnings[0]
    channels = manager.release_channels("eeprom")
    assert channels.available[1].commitish == ("rc", "master")


def test_item04_leaving_an_rc_offers_the_older_stable(
    tmp_path: Path, managers: list[Manager], github: FakeGitHub
) -> None:
    """issue 9 item 4: on an RC, the stable channel offers the newest stable even if older."""
    github.add_repo(
        "jneilliii",
        "OctoPrint-BackupScheduler",
        [
            FakeRelease("0.2.0rc1", prerelease=True, target_commitish="rc"),
            FakeRelease("0.1.9", target_commitish="master"),
        ],
    )
    checks = {"backup": backup_scheduler(github.api_url, current="0.2.0rc1")}
    manager = manager_for(tmp_path, managers, checks)
    status = manager.check().targets["backup"]
    assert (status.remote_version, status.update_available) == ("0.1.9", True)
    effective = manager.effective_checks()["backup"]
    assert effective["release_compare"] == "python_unequal"
    assert effective["force_base"] is False
    assert effective["update_branch"] == "master"
    manager.set_release_channel("backup", "rc")
    status = manager.check().targets["backup"]
    assert (status.remote_version, status.update_available) == ("0.2.0rc1", False)
    assert manager.effective_checks()["backup"]["update_branch"] == "rc"


def test_item04_own_update_branch_wins_and_stable_installs_stay_as_configured(
    tmp_path: Path, managers: list[Manager], github: FakeGitHub
) -> None:
    """issue 9 item 4: a check's own update_branch is kept; a stable install is left alone."""
    github.add_repo("jneilliii", "OctoPrint-BackupScheduler", [FakeRelease("0.1.9")])
    checks = {
        "own": backup_scheduler(github.api_url, current="0.2.0rc1", update_branch="mine"),
        "stable": backup_scheduler(github.api_url),
    }
    effective = manager_for(tmp_path, managers, checks).effective_checks()
    assert effective["own"]["update_branch"] == "mine"
    assert "update_branch" not in effective["stable"]
    assert "release_compare" not in effective["stable"]


def test_item05_release_channels_have_octoprints_shape(
    tmp_path: Path, managers: list[Manager], github: FakeGitHub
) -> None:
    """issue 9 item 5: releaseChannels lists ``{name, channel}`` plus current and stable."""
    github.add_repo("OctoPrint", "OctoPrint", [FakeRelease("1.11.8")])
    checks = {
        "octoprint": octoprint_like(
            github.api_url, prerelease=True, prerelease_channel="rc/maintenance"
        )
    }
    entry = manager_for(tmp_path, managers, checks).check().as_dict()["information"]["octoprint"]
    assert entry["releaseChannels"] == {
        "available": [
            {"name": "Stable", "channel": "master"},
            {"name": "Maintenance RCs", "channel": "rc/maintenance"},
            {"name": "Devel RCs", "channel": "rc/devel"},
        ],
        "current": "rc/maintenance",
        "stable": "master",
    }


# -- current and what "installed" means ------------------------------------------------------


def test_item06_github_commit_without_current_is_an_update_until_installed(
    tmp_path: Path, managers: list[Manager], github: FakeGitHub
) -> None:
    """issue 9 item 6: a github_commit target without current offers the newest commit."""
    head = "c0ffee" + "0" * 34
    github.add_repo("OllisGit", "OctoPrint-DisplayLayerProgress", [], branches={"master": head})
    # the shape of commit-tracking plugin configs: type, user, repo, branch, pip archive
    checks = {
        "dlp": {
            "type": "github_commit",
            "user": "OllisGit",
            "repo": "OctoPrint-DisplayLayerProgress",
            "branch": "master",
            "api_url": github.api_url,
            "method": "recording",
        }
    }
    versions = Versions()
    plugin = RoundPlugin(versions)
    manager = manager_for(tmp_path, managers, checks, plugin)
    status = manager.check().targets["dlp"]
    assert (status.update_available, status.local_version, status.remote_version) == (
        True,
        "unknown",
        head,
    )
    report = manager.update(["dlp"])
    assert report.results["dlp"].outcome == "updated"
    assert manager.effective_checks()["dlp"]["current"] == head
    assert not manager.check().targets["dlp"].update_available


@pytest.mark.parametrize("kind", ["jsondata", "httpheader"])
def test_item07_header_and_document_checks_learn_current(
    tmp_path: Path, managers: list[Manager], server: FakeServer, kind: str
) -> None:
    """issue 9 item 7: without current, the first answer is installed; a change is an update."""
    value = {"v": "1.0"}
    server.route("/version.json", lambda _r: Reply.json({"version": value["v"]}))
    server.route("/plugin.py", lambda _r: Reply(200, "x", {"ETag": f'"{value["v"]}"'}))
    if kind == "jsondata":
        check = {"type": "jsondata", "jsondata": f"{server.url}/version.json"}
    else:
        check = {
            "type": "httpheader",
            "header_url": f"{server.url}/plugin.py",
            "header_name": "ETag",
            "header_method": "GET",
        }
    manager = manager_for(tmp_path, managers, {"t": check})
    status = manager.check().targets["t"]
    assert status.error is None and not status.update_available
    assert manager.effective_checks()["t"]["current"] in ("1.0", '"1.0"')
    value["v"] = "1.1"
    assert manager.check(force=True).targets["t"].update_available


def test_item08_release_check_without_current_is_a_config_error(
    tmp_path: Path, managers: list[Manager], github: FakeGitHub
) -> None:
    """issue 9 item 8: no current (nor displayVersion) is a config error naming the key."""
    github.add_repo("jneilliii", "OctoPrint-BackupScheduler", [FakeRelease("0.2.0")])
    bare = backup_scheduler(github.api_url)
    del bare["current"], bare["displayVersion"]
    shown_only = backup_scheduler(github.api_url)
    del shown_only["current"]  # displayVersion stands in for current, as in the reference
    checks = {"bare": bare, "shown": shown_only}
    report = manager_for(tmp_path, managers, checks).check()
    assert report.targets["bare"].error == "config"
    assert "checks.bare.current" in (report.targets["bare"].error_message or "")
    assert not report.targets["bare"].update_available
    assert report.targets["bare"].display_version == "unknown"
    shown = report.targets["shown"]
    assert (shown.error, shown.local_version, shown.remote_version) == (None, "0.1.9", "0.2.0")
    assert shown.display_version == "0.1.9"


def test_item10_pypi_package_not_installed_is_not_an_update(
    tmp_path: Path, managers: list[Manager], server: FakeServer
) -> None:
    """issue 9 item 10: a pypi_release target whose package is missing shows "not installed"."""
    index = mount_index(server)
    name = "octoprint-plugin-not-installed-here"
    index.add_project(name, [FakeFile(f"{name}-1.0.tar.gz")])
    checks = {"p": {"type": "pypi_release", "package": name, "index_url": index.url, "pip": name}}
    status = manager_for(tmp_path, managers, checks).check().targets["p"]
    assert status.error is None
    assert (status.display_version, status.update_available, status.update_possible) == (
        "not installed",
        False,
        False,
    )


def test_item11_events_and_log_carry_version_values(
    tmp_path: Path, managers: list[Manager], github: FakeGitHub
) -> None:
    """issue 9 item 11: from_version/to_version are versions, not release names."""
    github.add_repo(
        "jneilliii",
        "OctoPrint-BackupScheduler",
        [FakeRelease("0.2.0", name="Release 0.2.0 - cloud backups")],
    )
    recorder = Recorder()
    checks = {"backup": backup_scheduler(github.api_url, method="recording")}
    manager = manager_for(tmp_path, managers, checks, RoundPlugin(Versions()), events=recorder)
    report = manager.update()
    assert report.results["backup"].outcome == "updated"
    (payload,) = recorder.of(events.UPDATE_SUCCEEDED)
    assert (payload["from_version"], payload["to_version"]) == ("0.1.9", "0.2.0")
    (entry,) = manager.update_log()
    assert (entry.from_version, entry.to_version) == ("0.1.9", "0.2.0")


def test_item12_update_possible_does_not_need_an_update(
    tmp_path: Path, managers: list[Manager]
) -> None:
    """issue 9 item 12: updatePossible says whether the updater could, update or not."""
    checks = {
        "able": {"type": "always_current", "current_version": "1.0.0", "method": "recording"},
        "unable": {"type": "always_current", "current_version": "1.0.0"},
    }
    report = manager_for(tmp_path, managers, checks, RoundPlugin(Versions())).check()
    info = report.as_dict()["information"]
    assert (info["able"]["updateAvailable"], info["able"]["updatePossible"]) == (False, True)
    assert (info["unable"]["updateAvailable"], info["unable"]["updatePossible"]) == (False, False)
    assert report.status == "current"


def test_item13_disabled_is_a_boolean(tmp_path: Path, managers: list[Manager]) -> None:
    """issue 9 item 13: ``disabled`` is true/false in as_dict(); the reason is extra."""
    checks = {
        "off": {"type": "never_current", "disabled": True},
        "on": {"type": "always_current"},
    }
    info = manager_for(tmp_path, managers, checks).check().as_dict()["information"]
    assert info["off"]["disabled"] is True and info["on"]["disabled"] is False
    assert "disabled" in info["off"]["disabledReason"]
    assert info["on"]["disabledReason"] is None


def test_item14_one_bad_target_never_takes_down_the_config(
    tmp_path: Path,
    managers: list[Manager],
    github: FakeGitHub,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """issue 9 item 14: semantic_version compares as python; a bad value fails its target."""
    github.add_repo(
        "jneilliii", "OctoPrint-BackupScheduler", [FakeRelease("0.2.0"), FakeRelease("0.1.9")]
    )
    checks = {
        "semver": backup_scheduler(github.api_url, release_compare="semantic_version"),
        "broken": backup_scheduler(github.api_url, prerelease="yes please"),
        "fine": {"type": "always_current"},
    }
    with caplog.at_level(logging.WARNING):
        report = manager_for(tmp_path, managers, checks).check()
    semver = report.targets["semver"]
    assert (semver.error, semver.remote_version, semver.update_available) == (None, "0.2.0", True)
    assert any("semantic_version" in r.getMessage() for r in caplog.records)
    assert report.targets["broken"].error == "config"
    assert "checks.broken.prerelease" in (report.targets["broken"].error_message or "")
    assert report.targets["fine"].error is None


class _NamedProvider(ConfigProvider):
    plugin_name = "octoprint_backupscheduler"


def test_item15_failing_plugin_is_named_by_its_registered_name(
    tmp_path: Path, managers: list[Manager], caplog: pytest.LogCaptureFixture
) -> None:
    """issue 9 item 15: messages name a plugin by its registered name, never an object id."""
    bad = {"backup": {"type": "github_release", "user": "u", "repo": "r", "prerelease": "x"}}
    unnamed = ConfigProvider({"other": {"type": "always_current", "prerelease": "no"}})
    manager = manager_for(tmp_path, managers, {}, _NamedProvider(bad), unnamed)
    problems = manager.config_problems()
    assert "provided by plugin octoprint_backupscheduler" in problems["backup"]
    assert "provided by plugin tests.fakes.checks.ConfigProvider" in problems["other"]


# -- update rounds -------------------------------------------------------------------------


def test_issue14_item3_crashing_verify_is_that_targets_failure(
    tmp_path: Path, managers: list[Manager]
) -> None:
    """issue 14 item 3: ``verify: "true\\0"`` fails its target, logged; later targets update."""
    versions = Versions(a=("1.0", "2.0"), b=("1.0", "2.0"))
    checks = {
        "a": {"type": "state", "method": "recording", "verify": "true\0"},
        "b": {"type": "state", "method": "recording"},
    }
    manager = manager_for(tmp_path, managers, checks, RoundPlugin(versions))
    report = manager.update()
    assert report.results["a"].outcome == "failed"
    assert report.results["b"].outcome == "updated"
    assert versions.installed["b"] == "2.0"
    log = {e.target: e for e in manager.update_log()}
    assert not log["a"].success and "verif" in log["a"].text
    assert log["b"].success
    assert not report.success


def test_issue14_item3_failed_check_of_a_selected_target_is_logged(
    tmp_path: Path, managers: list[Manager], github: FakeGitHub
) -> None:
    """issue 14 item 3: a target failing before its update is in the update log; b updates."""
    github.add_repo("jneilliii", "OctoPrint-BackupScheduler", [FakeRelease("0.2.0")])
    broken = backup_scheduler(github.api_url, method="recording")
    del broken["current"], broken["displayVersion"]
    versions = Versions(b=("1.0", "2.0"))
    checks = {"backup": broken, "b": {"type": "state", "method": "recording"}}
    manager = manager_for(tmp_path, managers, checks, RoundPlugin(versions))
    report = manager.update()
    assert (report.results["backup"].outcome, report.results["b"].outcome) == ("failed", "updated")
    log = {e.target: e for e in manager.update_log()}
    assert not log["backup"].success and "checks.backup.current" in log["backup"].text
    assert log["b"].success


def test_item17_update_script_branch_from_update_branch(tmp_path: Path) -> None:
    """issue 9 item 17: ``{branch}`` is update_branch, then the channel."""
    out = tmp_path / "branch.txt"
    script = [sys.executable, "-c", f"open({str(out)!r}, 'w').write('{{branch}}')"]
    check: dict[str, Any] = {
        "update_script": script,
        "update_folder": str(tmp_path),
        "update_branch": "rc/devel",
        "prerelease_channel": "rc/maintenance",
    }
    update_script.perform_update("octoprint", check, "1.12.0rc1")
    assert out.read_text() == "rc/devel"
    del check["update_branch"]
    update_script.perform_update("octoprint", check, "1.12.0rc1")
    assert out.read_text() == "rc/maintenance"


def test_item17_round_sets_update_branch_from_the_channel(
    tmp_path: Path, managers: list[Manager], github: FakeGitHub
) -> None:
    """issue 9 item 17: a round on an RC channel runs update_script with that branch."""
    github.add_repo(
        "OctoPrint",
        "OctoPrint",
        [FakeRelease("1.12.0rc1", prerelease=True, target_commitish="rc/devel")],
    )
    out = tmp_path / "args.txt"
    script = [
        sys.executable,
        "-c",
        f"import sys; open({str(out)!r}, 'w').write(' '.join(sys.argv[1:]))",
        "--branch={branch}",
        "{target}",
    ]
    check = octoprint_like(
        github.api_url,
        prerelease=True,
        prerelease_channel="rc/devel",
        method="update_script",
        update_script=script,
        update_folder=str(tmp_path),
        restart=None,
    )
    del check["pip"]
    manager = manager_for(tmp_path, managers, {"octoprint": check})
    report = manager.update()
    assert report.results["octoprint"].outcome == "updated", report.results["octoprint"].text
    assert out.read_text() == "--branch=rc/devel 1.12.0rc1"


# -- overlays ------------------------------------------------------------------------------


def test_item21_overlay_retires_a_plugin_with_always_current(
    tmp_path: Path, managers: list[Manager], server: FakeServer, github: FakeGitHub
) -> None:
    """issue 9 item 21: an overlay may set type always_current/never_current and current_version."""
    github.add_repo("jneilliii", "OctoPrint-BackupScheduler", [FakeRelease("9.9.9")])
    server.route(
        "/overlay.json",
        {
            "backup": {"type": "always_current", "current_version": "0.1.9"},
            "other": {"type": "command_line", "command": "touch /tmp/x"},
        },
    )
    provider = ConfigProvider(
        {
            "backup": backup_scheduler(github.api_url),
            "other": {"type": "always_current", "current_version": "1.0"},
        }
    )
    manager = manager_for(
        tmp_path, managers, {}, provider, check_overlay_url=f"{server.url}/overlay.json"
    )
    effective = manager.effective_checks()
    assert effective["backup"]["type"] == "always_current"
    assert effective["other"]["type"] == "always_current"  # command_line refused
    assert "command" not in effective["other"]
    report = manager.check()
    backup = report.targets["backup"]
    assert (backup.update_available, backup.local_version) == (False, "0.1.9")
    assert github.server.hits("/repos/jneilliii/OctoPrint-BackupScheduler/releases") == []


# -- the command line ----------------------------------------------------------------------


def _cli(tmp_path: Path, checks: Mapping[str, Any], *args: str) -> Any:
    import yaml

    from softwareupdate_core.cli import cli
    from tests.clirunner import runner

    config = tmp_path / "softwareupdate.yaml"
    config.write_text(yaml.safe_dump({"checks": dict(checks), "check_overlay_url": None}))
    base = ["--config", str(config), "--data-folder", str(tmp_path / "data")]
    return runner().invoke(cli, [*base, *args])


CLI_CHECKS: dict[str, Any] = {
    "zeta": {"type": "always_current", "current_version": "2.0.0"},
    "alpha": {"type": "never_current", "local_version": "1.0.0", "remote_version": "1.1.0"},
    # shaped like jneilliii/OctoPrint-BackupScheduler's config, without its current
    "backup": {
        "type": "github_release",
        "user": "jneilliii",
        "repo": "OctoPrint-BackupScheduler",
        "pip": "https://github.com/jneilliii/OctoPrint-BackupScheduler/archive/{target_version}.zip",
    },
}


def test_item18_update_exits_1_when_a_check_failed_and_nothing_was_updated(
    tmp_path: Path,
) -> None:
    """issue 9 item 18: a failed check of a selected target makes ``update`` exit 1."""
    checks = {"zeta": CLI_CHECKS["zeta"], "backup": CLI_CHECKS["backup"]}
    result = _cli(tmp_path, checks, "update")
    assert result.exit_code == 1, result.output
    assert "backup" in result.stdout
    result = _cli(tmp_path, {"zeta": CLI_CHECKS["zeta"]}, "update")
    assert result.exit_code == 0, result.output


def test_item19_only_new_json_leaves_out_current_targets(tmp_path: Path) -> None:
    """issue 9 item 19: ``check --only-new --json`` keeps updates and failed checks only."""
    import json

    result = _cli(tmp_path, CLI_CHECKS, "check", "--only-new", "--json")
    assert result.exit_code == 1  # the failed check
    information = json.loads(result.stdout)["information"]
    assert set(information) == {"alpha", "backup"}
    assert information["backup"]["error"] == "config"
    full = json.loads(_cli(tmp_path, CLI_CHECKS, "check", "--json").stdout)["information"]
    assert set(full) == {"zeta", "alpha", "backup"}

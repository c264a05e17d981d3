"""The Manager facade: wiring that hosts rely on."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from softwareupdate_core import Manager, events
from tests.fakes.checks import FakeChecks


def _raising_sink(name: str, payload: Mapping[str, Any]) -> None:
    raise RuntimeError("the host's sink is broken")


def test_a_failing_event_sink_does_not_break_a_check(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A host whose event sink raises still gets its report; the failure is logged."""
    manager = Manager(
        {"checks": {"a": {"type": "fake", "remote": "2.0", "current": "1.0"}}},
        data_folder=tmp_path,
        events=_raising_sink,
        plugins=[FakeChecks()],
        load_entrypoints=False,
    )
    report = manager.check()
    assert report.targets["a"].update_available
    assert events.CHECK_STARTED in caplog.text


def test_mapping_settings_are_validated(tmp_path: Path) -> None:
    """Settings given as a mapping are checked like a file: a wrong type is named."""
    from softwareupdate_core.exceptions import ConfigurationInvalid

    with pytest.raises(ConfigurationInvalid, match="cache_ttl"):
        Manager({"cache_ttl": "soon"}, data_folder=tmp_path, load_entrypoints=False)


def test_default_checks_are_the_bottom_layer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Host defaults come first; a plugin cannot take a default target; user keys adjust it."""
    from softwareupdate_core.config.settings import Settings
    from tests.fakes.checks import ConfigProvider

    settings = Settings(
        default_checks={"host": {"type": "fake", "remote": "2.0", "current": "1.0"}},
        checks={"host": {"current": "2.0"}, "plugin_target": {"remote": "3.0"}},
        check_overlay_url=None,
    )
    intruder = ConfigProvider(
        {"host": {"type": "fake", "remote": "9.9"}, "plugin_target": {"type": "fake"}}
    )
    manager = Manager(
        settings, data_folder=tmp_path, plugins=[FakeChecks(), intruder], load_entrypoints=False
    )
    checks = manager.effective_checks()
    assert checks["host"]["remote"] == "2.0" and checks["host"]["current"] == "2.0"
    assert checks["plugin_target"]["remote"] == "3.0"
    assert "refused" in caplog.text
    assert manager.check(["host"]).targets["host"].update_available is False


def test_octoprint_config_yaml_with_only_changed_values_checks_octoprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An OctoPrint config.yaml that only changes the channel still has the octoprint target."""
    import softwareupdate_core.config.host_defaults as loading_module

    # the octoprint target exists only where OctoPrint is installed (issue 9 item 20)
    monkeypatch.setattr(loading_module, "_installed_version", {"OctoPrint": "1.11.8"}.get)
    config = tmp_path / "config.yaml"
    config.write_text(
        "plugins:\n  softwareupdate:\n    checks:\n      octoprint:\n"
        "        prerelease: true\n        prerelease_channel: rc/devel\n"
    )
    manager = Manager.from_yaml(config, data_folder=tmp_path / "data", load_entrypoints=False)
    channels = manager.release_channels("octoprint")
    assert channels.current == "rc/devel" and channels.stable == "master"
    assert manager.effective_checks()["octoprint"]["type"] == "github_release"


class _OfflineHost:
    def is_online(self) -> bool:
        return False


def test_offline_host_still_runs_checks_marked_offline(tmp_path: Path, server: Any) -> None:
    """With the host offline, a check of a local server marked `offline: true` still runs."""
    from tests.httpserver import Reply

    server.route("/version.json", Reply.json({"version": "2.0"}))
    checks = {
        "local": {
            "type": "jsondata",
            "jsondata": f"{server.url}/version.json",
            "current": "1.0",
            "offline": True,
        },
        "remote": {"type": "jsondata", "jsondata": f"{server.url}/version.json", "current": "1.0"},
    }
    manager = Manager(
        {"checks": checks, "check_overlay_url": None},
        data_folder=tmp_path,
        host=_OfflineHost(),
        load_entrypoints=False,
    )
    report = manager.check()
    assert report.online is False
    assert report.targets["local"].update_available
    assert report.targets["local"].remote_version == "2.0"
    assert report.targets["remote"].error == "network"
    assert len(server.hits("/version.json")) == 1


def test_single_file_update_round_downloads_through_the_shared_client(
    tmp_path: Path, server: Any
) -> None:
    """An update installs a single-file plugin via the one HTTP client, and is not offered again."""
    from tests.httpserver import Reply

    server.route("/version.json", Reply.json({"version": "2.0"}))
    server.route("/my_plugin.py", Reply(200, "VALUE = 2\n", {"Content-Type": "text/plain"}))
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "my_plugin.py").write_text("VALUE = 1\n")
    checks = {
        "my_plugin": {
            "type": "jsondata",
            "jsondata": f"{server.url}/version.json",
            "current": "1.0",
            "url": f"{server.url}/my_plugin.py",
            "method": "single_file_plugin",
            "restart": "none",
        }
    }
    manager = Manager(
        {
            "checks": checks,
            "check_overlay_url": None,
            "plugin_folder": str(plugins),
            "minimum_free_storage": 0,
        },
        data_folder=tmp_path / "data",
        load_entrypoints=False,
    )
    report = manager.update()
    assert report.results["my_plugin"].success, report.as_dict()
    assert (plugins / "my_plugin.py").read_text() == "VALUE = 2\n"
    assert manager.http.stats.sent == 2  # the version document and the download
    after = manager.check().targets["my_plugin"]
    assert after.local_version == "2.0" and not after.update_available

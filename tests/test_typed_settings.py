"""Every top-level setting is a typed field checked at load; unknown keys warn with a match."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from softwareupdate_core import Manager, Settings
from softwareupdate_core.cli.app import cli
from softwareupdate_core.config.settings import (
    DEFAULT_BUSY_POLL_INTERVAL,
    DEFAULT_HOST_TARGET,
    DEFAULT_LOCK_WAIT,
    DEFAULT_RESTART_TIMEOUT,
    DEFAULT_VERIFY_TIMEOUT,
)
from softwareupdate_core.exceptions import ConfigurationInvalid
from tests.clirunner import runner


def test_seconds_settings_and_host_target_are_typed_fields() -> None:
    """host_target and the seconds-valued keys load into typed fields, not into extra."""
    settings = Settings.from_mapping(
        {
            "host_target": "moonraker",
            "verify_timeout": 12,
            "restart_timeout": 30.5,
            "lock_wait": 0,
            "busy_poll_interval": 3,
            "update_timeout": 900,
        }
    )
    assert settings.host_target == "moonraker"
    assert settings.verify_timeout == 12.0
    assert settings.restart_timeout == 30.5
    assert settings.lock_wait == 0.0
    assert settings.busy_poll_interval == 3.0
    assert settings.update_timeout == 900.0
    assert settings.extra == {}
    assert settings.warnings == ()


def test_the_defaults_apply_when_the_keys_are_absent() -> None:
    """Without the keys, each field has its documented default."""
    settings = Settings.from_mapping({})
    assert settings.host_target == DEFAULT_HOST_TARGET == "octoprint"
    assert settings.verify_timeout == DEFAULT_VERIFY_TIMEOUT == 300.0
    assert settings.restart_timeout == DEFAULT_RESTART_TIMEOUT == 120.0
    assert settings.lock_wait == DEFAULT_LOCK_WAIT == 2.0
    assert settings.busy_poll_interval == DEFAULT_BUSY_POLL_INTERVAL == 10.0
    assert settings.update_timeout is None
    assert settings.shared_cache is None


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ({"verify_timeout": "five"}, "verify_timeout: expected a number, got 'five'"),
        ({"lock_wait": -1}, "lock_wait: expected a number at least 0, got -1"),
        ({"update_timeout": 0}, "update_timeout: expected a number greater than 0, got 0"),
        ({"host_target": 3}, "host_target: expected a string, got 3"),
        ({"shared_cache": {"url": "http://x"}}, "shared_cache.url: unsupported scheme 'http'"),
    ],
)
def test_a_wrong_value_fails_at_load_naming_the_file_and_key(
    tmp_path: Path, section: dict[str, Any], expected: str
) -> None:
    """A wrong value is refused when the file is loaded, before any round could start."""
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(section))
    with pytest.raises(ConfigurationInvalid) as caught:
        Settings.from_yaml(path)
    assert str(caught.value).startswith(f"{path}: {expected}")


def test_shared_cache_is_parsed_at_load_and_its_password_masked() -> None:
    """shared_cache becomes a parsed value whose repr (and the Settings repr) hide the password."""
    settings = Settings.from_mapping({"shared_cache": {"url": "redis://:Pw-77@cache:6380/2"}})
    assert settings.shared_cache is not None
    assert (settings.shared_cache.host, settings.shared_cache.port) == ("cache", 6380)
    assert "Pw-77" not in repr(settings)
    assert "redis://***@cache:6380/2" in repr(settings)


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [("chekcs", "checks"), ("cache_tll", "cache_ttl"), ("lock_wiat", "lock_wait")],
)
def test_a_misspelt_key_is_kept_and_warned_once_with_a_close_match(
    key: str, suggestion: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A misspelt key stays in extra and gives exactly one warning naming the close match."""
    with caplog.at_level(logging.WARNING, logger="softwareupdate_core.config.loading"):
        settings = Settings.from_mapping({key: {"a": 1}}, source="my.yaml")
    assert settings.extra == {key: {"a": 1}}
    expected = f"unknown setting `{key}` (did you mean `{suggestion}`?)"
    assert settings.warnings == (expected,)
    assert [r.getMessage() for r in caplog.records] == [f"my.yaml: {expected}"]


def test_a_key_nothing_resembles_is_kept_with_a_plain_warning() -> None:
    """A host's own key with no close match is kept, and the warning suggests nothing."""
    settings = Settings.from_mapping({"zzz_host_flag": True})
    assert settings.extra == {"zzz_host_flag": True}
    assert settings.warnings == (
        "unknown setting `zzz_host_flag` (kept for the host, not used here)",
    )


def test_octoprint_own_keys_give_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    """Keys OctoPrint stores in its section load from a whole config.yaml without warnings."""
    document = {
        "plugins": {
            "softwareupdate": {
                "_config_version": 9,
                "check_overlay_py2_url": "https://plugins.octoprint.org/x.json",
                "octoprint_release_channel": "stable",
                "chekcs": {},
            }
        }
    }
    from softwareupdate_core.config.loading import parse_document

    with caplog.at_level(logging.WARNING):
        settings = parse_document(document, source="config.yaml")
    assert settings.warnings == (
        "unknown setting `plugins.softwareupdate.chekcs` (did you mean `checks`?)",
    )
    assert "_config_version" in settings.extra
    assert len([r for r in caplog.records if "unknown setting" in r.getMessage()]) == 1


def test_config_validate_prints_the_warning_and_exits_0(tmp_path: Path) -> None:
    """config validate shows the unknown key as one warning line and still says OK."""
    path = tmp_path / "config.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "check_overlay_url": None,
                "chekcs": {"x": {"type": "always_current"}},
                "checks": {"a": {"type": "always_current", "current": "1"}},
            }
        )
    )
    result = runner().invoke(
        cli, ["--config", str(path), "--data-folder", str(tmp_path / "d"), "config", "validate"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "warning: unknown setting `chekcs` (did you mean `checks`?)"
    assert lines[-1].startswith("Configuration OK")
    assert "unknown setting" not in result.stderr  # shown once, not also as a log line


def test_the_top_level_update_timeout_stops_a_slow_update_script(tmp_path: Path) -> None:
    """A check without its own update_timeout gets the top-level one: a slow script is stopped."""
    script = [sys.executable, "-c", "import time; time.sleep(60)"]
    settings = {
        "check_overlay_url": None,
        "update_timeout": 0.5,
        "minimum_free_storage": 0,
        "checks": {
            "slow": {
                "type": "never_current",
                "update_script": script,
                "update_folder": str(tmp_path),
            }
        },
    }
    with Manager(settings, data_folder=tmp_path / "data", load_entrypoints=False) as manager:
        report = manager.update()
    result = report.results["slow"]
    assert not result.success
    assert "did not finish within 0.5 seconds (update_timeout)" in (result.text or "")

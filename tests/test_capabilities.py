"""Capabilities and one parse per config: rounds know no built-in name; validate runs the
parsers the rounds run; one effective configuration per round; the installed version is part
of the version cache key."""

from __future__ import annotations

import importlib
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

import pytest
from click.testing import CliRunner

from softwareupdate_core import Manager, hookimpl
from softwareupdate_core.cli.app import cli
from softwareupdate_core.exceptions import ConfigurationInvalid
from softwareupdate_core.plugins import Registry, make_plugin_manager
from softwareupdate_core.protocols import (
    DEFAULT_CHECK_CAPABILITIES,
    DEFAULT_UPDATER_CAPABILITIES,
    CheckCapabilities,
    UpdaterCapabilities,
)
from softwareupdate_core.updaters import BUILTIN_METHODS
from softwareupdate_core.version_checks import BUILTIN_TYPES
from tests.fakes.pypi import FakeFile, mount_index
from tests.httpserver import FakeServer
from tests.wheels import build_wheel, make_venv

PACKAGE = Path(__file__).resolve().parent.parent / "softwareupdate_core"
#: The generic round modules: they decide by capabilities, never by a type or method name.
ROUND_MODULES = [
    *sorted((PACKAGE / "rounds").glob("*.py")),
    PACKAGE / "config" / "effective.py",
    PACKAGE / "version_checks" / "_channels.py",
]


def test_round_modules_name_no_builtin_type_or_method() -> None:
    """No built-in check type or update method name appears in the round modules."""
    names = sorted({*BUILTIN_TYPES, *BUILTIN_METHODS})
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
    found = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in ROUND_MODULES
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert len(ROUND_MODULES) >= 8
    assert found == []


def test_every_builtin_module_declares_capabilities_and_a_parser() -> None:
    """Every built-in check type and update method has CAPABILITIES and parse_config."""
    registry = Registry.build(make_plugin_manager(load_entrypoints=False))
    for name, module_name in BUILTIN_TYPES.items():
        module = registry.version_checks[name]
        assert isinstance(module.CAPABILITIES, CheckCapabilities), name
        assert callable(module.parse_config), name
        # the lazy stand-in answers with the module's own value, without importing it first
        imported = importlib.import_module(f"softwareupdate_core.version_checks.{module_name}")
        assert module.CAPABILITIES is imported.CAPABILITIES, name
    for name in BUILTIN_METHODS:
        module = registry.updaters[name]
        assert isinstance(module.CAPABILITIES, UpdaterCapabilities), name
        assert callable(module.parse_config), name
    assert registry.check_capabilities("git_commit").tracks_current == "after_update"
    assert registry.check_capabilities("jsondata").tracks_current == "learn"
    assert registry.updater_capabilities("pip").rollback is not None


class _Bare:
    """A third-party check type and updater without CAPABILITIES or parse_config."""

    def get_latest(self, target: str, check: Mapping[str, Any], **kwargs: Any) -> Any:
        return {"local": {"name": "1", "value": "1"}, "remote": {"name": "1", "value": "1"}}, True

    def can_perform_update(
        self, target: str, check: Mapping[str, Any], online: bool = True
    ) -> bool:
        return True

    def perform_update(self, *args: Any, **kwargs: Any) -> None:
        return None


class _BarePlugin:
    @hookimpl
    def softwareupdate_version_checks(self) -> Mapping[str, Any]:
        return {"bare": _Bare()}

    @hookimpl
    def softwareupdate_updaters(self) -> Mapping[str, Any]:
        return {"bare": _Bare()}


def test_third_party_without_capabilities_gets_the_defaults() -> None:
    """A plugin type or method that declares nothing gets the documented defaults."""
    pm = make_plugin_manager(plugins=[_BarePlugin()], load_entrypoints=False)
    registry = Registry.build(pm)
    assert registry.check_capabilities("bare") == DEFAULT_CHECK_CAPABILITIES
    assert registry.updater_capabilities("bare") == DEFAULT_UPDATER_CAPABILITIES
    assert (
        CheckCapabilities(network=True, tracks_current=None, channels=False)
        == DEFAULT_CHECK_CAPABILITIES
    )
    assert DEFAULT_UPDATER_CAPABILITIES.restart is None


def _manager(tmp_path: Path, settings: dict[str, Any], **kwargs: Any) -> Manager:
    return Manager(
        {"check_overlay_url": None, **settings},
        data_folder=tmp_path / "data",
        load_entrypoints=False,
        **kwargs,
    )


BROKEN = {
    "norepo": {"type": "github_release", "user": "someone", "current": "1.0"},
    "sleepy": {"type": "always_current", "method": "sleep_a_bit", "duration": "2"},
    "fine": {"type": "always_current", "method": "sleep_a_bit", "duration": 0},
}


def test_validate_runs_the_parsers_of_check_and_update_configs(tmp_path: Path) -> None:
    """validate() names a missing mandatory check key and a wrong update key, per target."""
    with _manager(tmp_path, {"checks": BROKEN}) as manager:
        problems = manager.validate()
    assert set(problems) == {"norepo", "sleepy"}
    assert problems["norepo"].startswith("checks.norepo.repo: is mandatory")
    assert problems["sleepy"].startswith("checks.sleepy.duration:")


def test_the_round_reports_what_validate_reports(tmp_path: Path) -> None:
    """A check round shows the same parse problem as the target's config error."""
    with _manager(tmp_path, {"checks": BROKEN}) as manager:
        report = manager.check()
        problems = manager.validate()
    norepo = report.targets["norepo"]
    assert norepo.error == "config"
    assert norepo.error_message == problems["norepo"]
    sleepy = report.targets["sleepy"]
    assert sleepy.update_possible is False
    assert sleepy.not_possible_reason == problems["sleepy"]


def test_config_validate_prints_problems_and_exits_1(tmp_path: Path) -> None:
    """`softwareupdate config validate` lists each problem and fails instead of saying OK."""
    import yaml

    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"check_overlay_url": None, "checks": BROKEN}))
    result = CliRunner().invoke(
        cli, ["--config", str(config), "--data-folder", str(tmp_path / "d"), "config", "validate"]
    )
    assert result.exit_code == 1
    assert "checks.norepo.repo: is mandatory" in result.output
    assert "checks.sleepy.duration" in result.output
    assert "Configuration OK" not in result.output


class _Recorder:
    """A python_updater that records its calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def perform_update(self, target: str, check: Mapping[str, Any], version: str) -> None:
        self.calls.append(version)


def test_a_wrong_verify_timeout_is_refused_before_any_update(tmp_path: Path) -> None:
    """verify_timeout: "five" fails when the settings load, and config validate says so."""
    import yaml

    with pytest.raises(ConfigurationInvalid, match="verify_timeout"):
        _manager(tmp_path, {"verify_timeout": "five"})
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"verify_timeout": "five"}))
    result = CliRunner().invoke(
        cli, ["--config", str(config), "--data-folder", str(tmp_path / "d"), "config", "validate"]
    )
    assert result.exit_code != 0
    assert "verify_timeout" in result.output


def test_one_update_resolves_the_effective_configuration_once(tmp_path: Path) -> None:
    """A plugin's check_config hook is asked once per update() (and once per check())."""
    recorder = _Recorder()
    calls: list[int] = []

    class Counting:
        @hookimpl
        def softwareupdate_check_config(self) -> Mapping[str, Mapping[str, Any]]:
            calls.append(1)
            return {"thing": {"type": "never_current", "python_updater": recorder}}

    with _manager(tmp_path, {}, plugins=[Counting()]) as manager:
        report = manager.update()
        assert len(calls) == 1
        manager.check()
        assert len(calls) == 2
    assert report.results["thing"].success is True
    assert recorder.calls == ["2.0.0"] or len(recorder.calls) == 1


def _pip(python: Path, *args: str) -> None:
    result = subprocess.run(
        [str(python), "-m", "pip", "--isolated", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_an_outside_upgrade_shows_without_force(tmp_path: Path, server: FakeServer) -> None:
    """After pip upgrades the package outside the library, the next check (no --force) shows
    the new installed version instead of the cached old one."""
    python = make_venv(tmp_path / "venv")
    old = build_wheel(tmp_path / "wheels", "demo-pkg", "1.0")
    new = build_wheel(tmp_path / "wheels", "demo-pkg", "2.0")
    _pip(python, "install", "--no-index", "--no-deps", str(old))
    index = mount_index(server)
    index.add_project("demo-pkg", [FakeFile(old.name), FakeFile(new.name)])
    check = {
        "type": "pypi_release",
        "package": "demo-pkg",
        "index_url": index.url,
        "pip_command": [str(python), "-m", "pip"],
    }
    settings: dict[str, Any] = {"cache_ttl": 600, "checks": {"demo": check}}
    with _manager(tmp_path, settings) as manager:
        before = manager.check(["demo"]).targets["demo"]
        _pip(python, "install", "--no-index", "--no-deps", str(new))
        after = manager.check(["demo"]).targets["demo"]
    assert (before.display_version, before.update_available) == ("1.0", True)
    assert (after.display_version, after.update_available) == ("2.0", False)


def test_plugin_entries_without_type_are_left_out(tmp_path: Path) -> None:
    """A plugin's check_config entry without a type (MultiCam's ``events``) is not reported."""

    class MultiCamLike:
        @hookimpl
        def softwareupdate_check_config(self) -> Mapping[str, Mapping[str, Any]]:
            return {
                "multicam": {"type": "always_current"},
                "events": {"on_event": ["PLUGIN_RESTART_REQUIRED"]},
            }

    with _manager(tmp_path, {}, plugins=[MultiCamLike()]) as manager:
        report = manager.check()
        problems = manager.validate()
    assert set(report.targets) == {"multicam"}
    assert "events" not in problems


class _OfflineHost:
    def is_online(self) -> bool:
        return False


class _Counting:
    """A third-party check type counting its calls; ``network`` as given (None: undeclared)."""

    def __init__(self, network: Optional[bool]) -> None:
        self.calls = 0
        if network is not None:
            self.CAPABILITIES = CheckCapabilities(network=network)

    def get_latest(self, target: str, check: Mapping[str, Any], **kwargs: Any) -> Any:
        self.calls += 1
        return {"local": {"name": "1", "value": "1"}, "remote": {"name": "1", "value": "1"}}, True


def test_one_offline_rule_for_every_check_type(tmp_path: Path) -> None:
    """Offline, a check needing the network (declared or by default) is not called unless
    the target says offline: true; one declaring network=False is called."""
    undeclared, local, networked = _Counting(None), _Counting(False), _Counting(True)

    class Types:
        @hookimpl
        def softwareupdate_version_checks(self) -> Mapping[str, Any]:
            return {"undeclared": undeclared, "local": local, "networked": networked}

    checks = {
        "u": {"type": "undeclared"},
        "l": {"type": "local"},
        "n": {"type": "networked"},
        "n_local": {"type": "networked", "offline": True},
    }
    with _manager(tmp_path, {"checks": checks}, plugins=[Types()], host=_OfflineHost()) as manager:
        report = manager.check()
    assert (undeclared.calls, local.calls, networked.calls) == (0, 1, 1)
    assert report.targets["u"].error is not None
    assert "needs the network" in (report.targets["n"].error_message or "")
    assert report.targets["l"].error is None
    assert report.targets["n_local"].error is None


class _CountingCheck:
    """A check type whose parser counts its calls and whose get_latest uses ``parsed``."""

    def __init__(self) -> None:
        self.parses = 0

    def parse_config(self, target: str, check: Mapping[str, Any]) -> tuple[str, str]:
        self.parses += 1
        return (target, str(check["current"]))

    def get_latest(
        self, target: str, check: Mapping[str, Any], online: bool = True, **kwargs: Any
    ) -> tuple[dict[str, Any], bool]:
        parsed = kwargs.get("parsed") or self.parse_config(target, check)
        current = parsed[1]
        local = {"name": current, "value": current}
        return {"local": local, "remote": {"name": "2.0", "value": "2.0"}}, False


def test_a_round_parses_each_config_once_and_hands_the_result_to_the_check(
    tmp_path: Path,
) -> None:
    """One check round calls a type's parse_config once per target; the check gets the
    parsed value as ``parsed`` (built-ins and third parties alike)."""
    counting = _CountingCheck()

    class Provider:
        @hookimpl
        def softwareupdate_version_checks(self) -> Mapping[str, Any]:
            return {"counted": counting}

    checks = {f"t{i}": {"type": "counted", "current": "1.0"} for i in range(3)}
    with Manager(
        {"checks": checks, "check_overlay_url": None},
        plugins=[Provider()],
        load_entrypoints=False,
        data_folder=tmp_path,
    ) as manager:
        report = manager.check(force=True)
    assert {t: s.local_version for t, s in report.targets.items()} == {
        "t0": "1.0",
        "t1": "1.0",
        "t2": "1.0",
    }
    assert counting.parses == 3

"""Plugins: a real third-party package found through its entry point, and conflict rules."""

from __future__ import annotations

import json
import logging
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from softwareupdate_core import Manager, hookimpl
from softwareupdate_core.plugins import Registry, make_plugin_manager
from tests.venvtools import REPO, Venv, build_wheel, make_venv

THIRDPARTY = Path(__file__).parent / "data" / "thirdparty_plugin"

PROBE = textwrap.dedent(
    """
    import io, json, logging
    stream = io.StringIO()
    logging.basicConfig(stream=stream, level=logging.WARNING, format="%(message)s")
    from softwareupdate_core import Manager
    from softwareupdate_core.plugins import Registry, make_plugin_manager

    pm = make_plugin_manager()
    pm.check_pending()
    registry = Registry.build(pm)
    info, current = registry.version_check("constant_version").get_latest(
        "t", {"current": "1", "version": "2"})
    bare = Registry.build(make_plugin_manager(load_entrypoints=False))
    with Manager({"check_overlay_url": None}, data_folder="data") as manager:
        report = manager.check(["thirdparty"])
    status = report.targets["thirdparty"]
    print(json.dumps({
        "owner": registry.check_owners["constant_version"],
        "always_current_owner": registry.check_owners["always_current"],
        "remote": info.remote.name,
        "current": current,
        "without_entrypoints": "constant_version" in bare.version_checks,
        "target_remote": status.remote_version,
        "target_available": status.update_available,
        "log": stream.getvalue(),
    }))
    """
)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Venv]:
    """A virtualenv with wheels of the library and the third-party test plugin."""
    root = tmp_path_factory.mktemp("thirdparty")
    wheels = [build_wheel(REPO, root / "dist"), build_wheel(THIRDPARTY, root / "dist")]
    venv = make_venv(root / "venv")
    venv.install(wheels)
    yield venv


@pytest.fixture(scope="module")
def probe(venv: Venv, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What the library sees of the installed plugin, reported from inside the venv."""
    cwd = tmp_path_factory.mktemp("probe")
    proc = venv.run(str(venv.python), "-c", PROBE, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


@pytest.mark.slow
def test_entry_point_check_type_is_resolved(probe: dict[str, Any]) -> None:
    """The installed package's check type is registered under its entry-point name and works."""
    assert probe["owner"] == "thirdparty"
    assert probe["remote"] == "2"
    assert probe["current"] is False


@pytest.mark.slow
def test_entry_points_are_skipped_when_asked(probe: dict[str, Any]) -> None:
    """make_plugin_manager(load_entrypoints=False) does not see the installed plugin."""
    assert probe["without_entrypoints"] is False


@pytest.mark.slow
def test_entry_point_plugin_cannot_replace_a_builtin(probe: dict[str, Any]) -> None:
    """The plugin's offer of the built-in always_current is refused and logged with both names."""
    assert probe["always_current_owner"] == "softwareupdate_core.version_checks"
    assert "'always_current' from plugin thirdparty refused" in probe["log"]
    assert "softwareupdate_core.version_checks" in probe["log"]


@pytest.mark.slow
def test_entry_point_plugin_target_is_checked(probe: dict[str, Any]) -> None:
    """The target the plugin provides through softwareupdate_check_config is checked."""
    assert probe["target_remote"] == "1.1.0"
    assert probe["target_available"] is True


class _Const:
    def __init__(self, version: str) -> None:
        self.version = version

    def get_latest(
        self,
        target: str,
        check: Mapping[str, Any],
        online: bool = True,
        credentials: Any = None,
        **kwargs: Any,
    ) -> tuple[dict[str, Any], bool]:
        return (
            {
                "local": {"name": "1", "value": "1"},
                "remote": {"name": self.version, "value": self.version},
            },
            False,
        )


class First:
    """Offers the type ``dup`` and the target ``shared``."""

    @hookimpl
    def softwareupdate_version_checks(self) -> Mapping[str, Any]:
        return {"dup": _Const("from-first")}

    @hookimpl
    def softwareupdate_check_config(self) -> Mapping[str, Mapping[str, Any]]:
        return {"shared": {"type": "dup", "displayName": "First's"}}


class Second:
    """Offers the same type and target, and tries to replace a built-in type."""

    @hookimpl
    def softwareupdate_version_checks(self) -> Mapping[str, Any]:
        return {"dup": _Const("from-second"), "github_release": _Const("hijacked")}

    @hookimpl
    def softwareupdate_check_config(self) -> Mapping[str, Mapping[str, Any]]:
        return {"shared": {"type": "dup", "displayName": "Second's"}}


def test_first_registration_of_a_type_wins(caplog: pytest.LogCaptureFixture) -> None:
    """Two plugins offering one type name: the first keeps it; the conflict is logged."""
    first, second = First(), Second()
    pm = make_plugin_manager(plugins=[first, second], load_entrypoints=False)
    pm.check_pending()
    with caplog.at_level(logging.WARNING, logger="softwareupdate_core.plugins"):
        registry = Registry.build(pm)
    assert registry.version_checks["dup"].version == "from-first"
    assert registry.check_owners["dup"] == pm.get_name(first)
    messages = [r.getMessage() for r in caplog.records]
    assert any(
        "'dup'" in m and pm.get_name(second) in m and pm.get_name(first) in m for m in messages
    )


def test_builtin_type_cannot_be_replaced(caplog: pytest.LogCaptureFixture) -> None:
    """A plugin offering a built-in type name is refused, and the refusal is logged."""
    with caplog.at_level(logging.WARNING, logger="softwareupdate_core.plugins"):
        registry = Registry.build(make_plugin_manager(plugins=[Second()], load_entrypoints=False))
    assert registry.check_owners["github_release"] == "softwareupdate_core.version_checks"
    assert registry.check_owners["dup"] != "softwareupdate_core.version_checks"
    assert any(
        "'github_release'" in r.getMessage() and "refused" in r.getMessage() for r in caplog.records
    )


def test_first_plugin_keeps_a_shared_target(tmp_path: Path) -> None:
    """Two plugins providing one target: the first plugin's config is checked."""
    with Manager(
        {"check_overlay_url": None},
        data_folder=tmp_path,
        plugins=[First(), Second()],
        load_entrypoints=False,
    ) as manager:
        report = manager.check(["shared"])
    status = report.targets["shared"]
    assert status.display_name == "First's"
    assert status.remote_version == "from-first"

"""The adapters on OctoPrint's real ``version_checks``/``updaters`` packages, in-process."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live import gitlab_release
from octoprint.plugins.softwareupdate import exceptions as ops
from octoprint.plugins.softwareupdate import updaters, version_checks
from octoprint_softwareupdate_core.adapters import (
    CheckAdapter,
    Engine,
    install,
    octoprint_error,
)

from softwareupdate_core import Manager, hookimpl
from softwareupdate_core import exceptions as core
from softwareupdate_core.protocols import UpdaterCapabilities
from tests.fakes.forges import FakeGitLab
from tests.httpserver import FakeServer
from tests.wheels import build_wheel, make_venv, wheel_filename


@pytest.fixture
def events() -> list[tuple[str, dict[str, Any]]]:
    return []


@pytest.fixture
def engine(tmp_path: Path, events: list[tuple[str, dict[str, Any]]]) -> Iterator[Engine]:
    manager = Manager({}, data_folder=tmp_path / "data", load_entrypoints=False)
    yield Engine(manager, ops, lambda name, payload: events.append((name, dict(payload))))
    manager.close()


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (core.NetworkError("connection refused"), ops.NetworkError),
        (core.ApiCheckError("boom", status=500, api_message="boom"), ops.ApiCheckError),
        (core.RateLimitCheckError("limit", remaining=0, limit=60), ops.RateLimitCheckError),
        (core.CannotCheckOffline("offline"), ops.CannotCheckOffline),
        (core.CheckError("bad answer"), ops.CheckError),
        (core.UnknownCheckType("unknown check type 'x'"), ops.UnknownCheckType),
        (core.ConfigurationInvalid("expected a string", key="checks.x.repo"), ops.CheckError),
        (core.CannotUpdateOffline("offline"), ops.CannotUpdateOffline),
        (core.UpdateError("pip failed"), ops.UpdateError),
    ],
)
def test_library_errors_become_octoprints_classes(error: Exception, expected: type) -> None:
    """Each library error is raised as the OctoPrint class that gives the same report code."""
    translated = octoprint_error(error, ops)
    assert isinstance(translated, expected)
    # a rate limit must not read as a plain API error, a config error not as a crash
    assert isinstance(translated, ops.RateLimitCheckError) == isinstance(
        error, core.RateLimitCheckError
    )
    assert str(error) in str(translated) or str(getattr(error, "api_message", "")) in str(
        translated
    )


def test_core_engine_replaces_octoprints_types_and_undo_restores(engine: Engine) -> None:
    """engine core puts adapters on OctoPrint's packages; an unknown name is UnknownCheckType."""
    original = version_checks.github_release
    done = install(engine, "core", version_checks, updaters)
    try:
        assert isinstance(version_checks.github_release, CheckAdapter)
        assert isinstance(version_checks.gitlab_release, CheckAdapter)
        assert not hasattr(version_checks, "no_such_type")
        with pytest.raises(ops.UnknownCheckType, match="no_such_type"):
            getattr(version_checks, "no_such_type")  # noqa: B009 - how OctoPrint looks it up
        with pytest.raises(ops.UnknownUpdateType):
            getattr(updaters, "no_such_method")  # noqa: B009
    finally:
        done.undo()
    assert version_checks.github_release is original
    assert not hasattr(version_checks, "gitlab_release")
    with pytest.raises(AttributeError):
        getattr(version_checks, "no_such_type")  # noqa: B009


def test_extra_types_engine_keeps_octoprints_own_types(engine: Engine) -> None:
    """engine extra_types adds the new types only; OctoPrint's github_release stays its own."""
    original = version_checks.github_release
    done = install(engine, "extra_types", version_checks, updaters)
    try:
        assert version_checks.github_release is original
        assert set(done.check_types) >= {"gitlab_release", "forgejo_release", "codeberg_commit"}
        assert "github_release" not in done.check_types
    finally:
        done.undo()


def test_an_unknown_engine_is_named(engine: Engine) -> None:
    """A mistyped engine setting is an error naming the key and the valid values."""
    with pytest.raises(core.ConfigurationInvalid, match=r"engine.*core, extra_types"):
        install(engine, "fast", version_checks, updaters)


def test_gitlab_adapter_answers_in_octoprints_shape(engine: Engine) -> None:
    """The gitlab_release adapter returns OctoPrint's information dict and is-current flag."""
    server = FakeServer().start()
    try:
        gitlab = FakeGitLab(server)
        gitlab.set_releases("group/demo", [gitlab_release("2.0.0"), gitlab_release("1.0.0")])
        check = {
            "type": "gitlab_release",
            "project": "group/demo",
            "api_url": gitlab.api_url,
            "current": "1.0.0",
        }
        information, is_current = CheckAdapter(engine, "gitlab_release").get_latest(
            "demo", check, online=True, credentials={}
        )
        with pytest.raises(ops.CannotCheckOffline):
            CheckAdapter(engine, "gitlab_release").get_latest("demo", check, online=False)
    finally:
        server.stop()
    assert is_current is False
    assert information["local"] == {"name": "1.0.0", "value": "1.0.0"}
    assert information["remote"]["value"] == "2.0.0"
    assert information["needs_online"] is True


def test_pip_update_with_the_wrong_version_is_rolled_back(
    tmp_path: Path, engine: Engine, events: list[tuple[str, dict[str, Any]]]
) -> None:
    """A pip update after which the distribution does not report the new version is undone."""
    wheels = tmp_path / "wheels"
    for version in ("1.0", "2.0"):
        build_wheel(wheels, "demo-pkg", version)
    python = make_venv(tmp_path / "venv")
    first = wheels / wheel_filename("demo-pkg", "1.0")
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(first)], check=True)
    check = {
        "pip": str(wheels / "demo_pkg-{target_version}-py3-none-any.whl"),
        "pip_command": f"{python} -m pip",
        "current": "1.0",
        # a typo in the distribution name: after the update it reports no version at all
        "distribution": "demo-pkg-typo",
    }
    lines: list[str] = []
    with pytest.raises(ops.UpdateError, match=r"rolled back to 1\.0"):
        engine.perform_update(
            "pip", "demo", check, "2.0", lambda x, **kw: lines.extend(x), True, False
        )
    version = subprocess.run(
        [str(python), "-c", "import demo_pkg; print(demo_pkg.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert version == "1.0"
    assert any("rolling back to 1.0" in line for line in lines)
    assert any(name == "plugin_softwareupdate_update_log_line" for name, _ in events)


class _CheckedMethod:
    """A third-party update method whose ``verify`` capability always finds a problem and
    whose ``rollback`` records the version it reinstalls."""

    def __init__(self) -> None:
        self.installed: list[str] = []
        self.CAPABILITIES = UpdaterCapabilities(
            network=False, verify=self.verify, rollback=self.rollback
        )

    def can_perform_update(self, target: str, check: Any, online: bool = True) -> bool:
        return True

    def perform_update(self, target: str, check: Any, target_version: str, **kwargs: Any) -> None:
        self.installed.append(target_version)

    def verify(self, target: str, check: Any, target_version: str) -> str:
        return f"{target} {target_version} does not start"

    def rollback(self, target: str, check: Any, previous: str, **kwargs: Any) -> None:
        self.installed.append(previous)

    @hookimpl
    def softwareupdate_updaters(self) -> dict[str, Any]:
        return {"checked": self}


def test_any_method_with_verify_and_rollback_capabilities_is_rolled_back(tmp_path: Path) -> None:
    """The adapter verifies and rolls back through the method's capabilities, not by method
    name: a third-party method gets the same treatment as pip."""
    method = _CheckedMethod()
    manager = Manager({}, data_folder=tmp_path / "data", load_entrypoints=False, plugins=[method])
    try:
        engine = Engine(manager, ops, lambda name, payload: None)
        lines: list[str] = []
        with pytest.raises(ops.UpdateError, match=r"does not start; rolled back to 1\.0"):
            engine.perform_update(
                "checked",
                "demo",
                {"current": "1.0"},
                "2.0",
                lambda x, **kw: lines.extend(x),
                True,
                False,
            )
    finally:
        manager.close()
    assert method.installed == ["2.0", "1.0"]
    assert "rolled back to 1.0" in lines


def test_a_config_problem_is_an_update_error_naming_the_key(engine: Engine) -> None:
    """A config the method's parser refuses fails the update as OctoPrint's UpdateError (whose
    reason OctoPrint shows) naming the key, without running the method."""
    with pytest.raises(ops.UpdateError, match=r"checks\.demo\.duration"):
        engine.perform_update(
            "sleep_a_bit", "demo", {"duration": "2"}, "2.0", lambda x, **kw: None, True, False
        )

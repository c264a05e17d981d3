"""``python_updater``, ``sleep_a_bit`` and the validation of remote values."""

from __future__ import annotations

import os
import shlex
import time
import types
from pathlib import Path
from typing import Any, Optional

import pytest
from hypothesis import given
from hypothesis import strategies as st

from softwareupdate_core.exceptions import CannotUpdateOffline, ConfigurationInvalid, UpdateError
from softwareupdate_core.updaters import python_updater, sleep_a_bit
from softwareupdate_core.updaters._hostile import MAX_LENGTH, check_remote_value
from tests.configcheck import validated


class Log:
    """Collects what an updater passes to ``log_cb``."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str]] = []

    def __call__(self, lines: list[str], prefix: Any = None, stream: str = "") -> None:
        self.entries.extend((stream, line) for line in lines)


# -- python_updater ------------------------------------------------------------------------


class FullUpdater:
    """An updater with today's full signature that records its calls."""

    def __init__(self, possible: bool = True) -> None:
        self.possible = possible
        self.calls: list[dict[str, Any]] = []

    def can_perform_update(self, target: str, check: Any, online: bool = True) -> bool:
        self.calls.append({"ask": target, "online": online})
        return self.possible

    def perform_update(
        self,
        target: str,
        check: Any,
        target_version: str,
        log_cb: Any = None,
        online: bool = True,
        force: bool = False,
    ) -> str:
        self.calls.append(
            {
                "target": target,
                "version": target_version,
                "log_cb": log_cb,
                "online": online,
                "force": force,
            }
        )
        return "done"


def test_python_updater_object_gets_every_argument() -> None:
    """An object's perform_update receives target, check, version, log_cb, online and force."""
    updater = FullUpdater()
    log = Log()
    check = {"python_updater": updater}
    result = python_updater.perform_update(
        "demo", check, "2.0", log_cb=log, online=False, force=True
    )
    assert result == "done"
    assert updater.calls == [
        {"target": "demo", "version": "2.0", "log_cb": log, "online": False, "force": True}
    ]


def test_old_signature_without_online_and_force_still_works() -> None:
    """A plain callable with the old (target, check, target_version, log_cb) signature works."""
    seen: list[tuple[str, str, Optional[Any]]] = []

    def old_style(target: str, check: Any, target_version: str, log_cb: Any = None) -> None:
        seen.append((target, target_version, log_cb))

    python_updater.perform_update("demo", {"python_updater": old_style}, "1.1", force=True)
    assert seen == [("demo", "1.1", None)]
    assert python_updater.can_perform_update("demo", {"python_updater": old_style})


def test_var_keyword_updater_gets_all_keywords() -> None:
    """An updater taking ``**kwargs`` receives log_cb, online and force as keywords."""
    seen: dict[str, Any] = {}

    def flexible(target: str, check: Any, target_version: str, **kwargs: Any) -> None:
        seen.update(kwargs)

    python_updater.perform_update("demo", {"python_updater": flexible}, "1.1", online=False)
    assert seen == {"log_cb": None, "online": False, "force": False}


def test_module_as_updater() -> None:
    """A module with perform_update and can_perform_update qualifies as python_updater."""
    module = types.ModuleType("plugin_updater")
    module.can_perform_update = lambda target, check: False  # type: ignore[attr-defined]
    module.perform_update = (  # type: ignore[attr-defined]
        lambda target, check, target_version: f"{target}@{target_version}"
    )
    check = {"python_updater": module}
    assert not python_updater.can_perform_update("demo", check)
    assert python_updater.perform_update("demo", check, "3.0") == "demo@3.0"


@pytest.mark.parametrize("possible", [True, False])
def test_can_perform_update_asks_the_updater(possible: bool) -> None:
    """The updater's own can_perform_update decides, and gets the online flag."""
    updater = FullUpdater(possible)
    assert (
        python_updater.can_perform_update("demo", {"python_updater": updater}, online=False)
        is possible
    )
    assert updater.calls == [{"ask": "demo", "online": False}]


def test_can_perform_update_false_without_updater_or_when_it_raises() -> None:
    """No updater, a non-callable one or a raising can_perform_update mean 'not possible'."""

    class Broken:
        def can_perform_update(self, target: str, check: Any) -> bool:
            raise RuntimeError("broken")

        def perform_update(self, target: str, check: Any, target_version: str) -> None:
            pass

    assert not python_updater.can_perform_update("demo", {})
    assert not python_updater.can_perform_update("demo", {"python_updater": 42})
    assert not python_updater.can_perform_update("demo", {"python_updater": Broken()})


def test_foreign_exception_becomes_update_error() -> None:
    """A ValueError from the plugin's updater becomes an UpdateError that keeps the cause."""

    def failing(target: str, check: Any, target_version: str) -> None:
        raise ValueError("disk full")

    with pytest.raises(UpdateError, match="ValueError: disk full") as info:
        python_updater.perform_update("demo", {"python_updater": failing}, "1.0")
    assert isinstance(info.value.__cause__, ValueError)


def test_library_errors_pass_through_unchanged() -> None:
    """An error of the library's family (here CannotUpdateOffline) is raised as it is."""
    error = CannotUpdateOffline("needs network")

    def offline(target: str, check: Any, target_version: str) -> None:
        raise error

    with pytest.raises(CannotUpdateOffline) as info:
        python_updater.perform_update("demo", {"python_updater": offline}, "1.0")
    assert info.value is error


@pytest.mark.parametrize("updater", [None, 42, "module.path"])
def test_unusable_updater_is_an_update_error(updater: Any) -> None:
    """A missing or non-callable python_updater is refused as a ConfigurationInvalid."""
    with pytest.raises(ConfigurationInvalid, match="python_updater must have perform_update"):
        python_updater.perform_update("demo", {"python_updater": updater}, "1.0")


# -- sleep_a_bit ---------------------------------------------------------------------------


def test_sleep_a_bit_sleeps_and_logs_messages() -> None:
    """A short sleep logs a countdown and a final line, all as messages."""
    log = Log()
    assert sleep_a_bit.can_perform_update("demo", {})
    started = time.monotonic()
    sleep_a_bit.perform_update("demo", {"duration": 0.2}, "1.0", log_cb=log)
    assert time.monotonic() - started >= 0.2
    assert log.entries == [
        ("message", "Updating demo in 1 second..."),
        ("message", "Done sleeping for demo"),
    ]


class FakeClock:
    """Replaces time.monotonic/time.sleep so a long countdown runs instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.mark.parametrize(
    ("check", "expected"),
    [({"duration": 2.5}, [3, 2, 1]), ({}, list(range(10, 0, -1))), ({"duration": 0}, [])],
)
def test_sleep_a_bit_counts_down_each_second(
    monkeypatch: pytest.MonkeyPatch, check: dict[str, Any], expected: list[int]
) -> None:
    """The countdown logs the seconds left once per second (default duration 10)."""
    clock = FakeClock()
    fake_time = types.SimpleNamespace(monotonic=clock.monotonic, sleep=clock.sleep)
    monkeypatch.setattr(sleep_a_bit, "time", fake_time)
    log = Log()
    sleep_a_bit.perform_update("demo", check, "1.0", log_cb=log)
    counts = [int(line.split(" in ")[1].split()[0]) for _, line in log.entries[:-1]]
    assert counts == expected
    assert sum(clock.slept) == pytest.approx(check.get("duration", 10))


@pytest.mark.parametrize("duration", ["10", -1, 3601, float("nan"), True, None])
def test_sleep_a_bit_rejects_bad_durations(duration: Any) -> None:
    """A duration that is not a number of seconds between 0 and an hour is refused."""
    with pytest.raises(ConfigurationInvalid, match=r"checks\.demo\.duration"):
        sleep_a_bit.perform_update("demo", {"duration": duration}, "1.0")


# -- validation of remote values -----------------------------------------------------------

ACCEPTED = [
    "1.2.3",
    "v2.0.0rc1",
    "1!2.0+local.7",
    "1.0~beta1",
    "2024.01.05_build-3",
    "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c",
    "a" * MAX_LENGTH,
]

REJECTED = [
    ("1.0 --index-url http://x", "whitespace"),
    ("--index-url=http://x", "option"),
    ("-1", "option"),
    ("1.0;rm -rf ~", "whitespace"),
    ("1.0;x", "';'"),
    ("$(id)", "'\\$'"),
    ("`id`", "backtick"),
    ("1|2", "pipe"),
    ("1&2", "'&'"),
    ("a(b", "parenthesis"),
    ("a>b", "redirection"),
    ("a<b", "redirection"),
    ("'1'", "quote"),
    ('"1"', "quote"),
    ("../../x", "'\\.\\.'"),
    ("..", "'\\.\\.'"),
    ("a/b", "path separator"),
    ("a\\b", "path separator"),
    ("1.0\t", "whitespace"),
    ("1.0\x1b[31m", "control character"),
    ("1.0\u200b", "control character"),
    ("%2e%2e", "URL escape"),
    ("{target}", "brace"),
    ("1.0#frag", "'#'"),
    ("a" * (MAX_LENGTH + 1), "longer than"),
    ("", "empty"),
    ("1.0\u00e9", "character"),
]


@pytest.mark.parametrize("value", ACCEPTED)
def test_real_versions_are_accepted(value: str) -> None:
    """Versions, tags and commit hashes pass validation unchanged."""
    assert check_remote_value(value) == value


@pytest.mark.parametrize(("value", "reason"), REJECTED)
def test_hostile_values_are_rejected_with_a_reason(value: str, reason: str) -> None:
    """Each dangerous value is refused with a message naming the value's problem."""
    with pytest.raises(UpdateError, match=f"refusing target_version .*{reason}"):
        check_remote_value(value)


def test_non_string_and_custom_name() -> None:
    """A non-string is refused, and the message uses the given value name."""
    with pytest.raises(UpdateError, match="target_version must be a string"):
        check_remote_value(12)
    with pytest.raises(UpdateError, match="refusing branch"):
        check_remote_value("-x", name="branch")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("rc/devel", True),
        ("feature/a.b-c", True),
        ("../x", False),
        ("a/../b", False),
        ("/abs", False),
        ("a//b", False),
        ("a/./b", False),
        ("a\\b", False),
    ],
)
def test_allow_slash_for_branch_names(value: str, ok: bool) -> None:
    """With allow_slash, branch paths pass but escaping or absolute paths do not."""
    if ok:
        assert check_remote_value(value, allow_slash=True) == value
    else:
        with pytest.raises(UpdateError):
            check_remote_value(value, allow_slash=True)
    with pytest.raises(UpdateError):
        check_remote_value(value)


@given(st.text(max_size=60))
def test_accepted_values_are_inert(value: str) -> None:
    """Any accepted value is one shell word, no option, and stays inside a folder as a path."""
    try:
        check_remote_value(value)
    except UpdateError:
        return
    assert shlex.split(value) == [value]
    assert not value.startswith("-")
    joined = os.path.normpath(os.path.join("/base", value))
    assert os.path.dirname(joined) == "/base"


def test_python_updater_validate_reports_what_perform_update_refuses(tmp_path: Path) -> None:
    """A python_updater that cannot be called is reported by validate() and refused by
    perform_update with the same error."""
    check = {"type": "always_current", "python_updater": 42}
    problem, effective = validated(tmp_path, "demo", check, hook=True)
    assert problem.startswith("checks.demo.python_updater: ")
    assert not python_updater.can_perform_update("demo", effective)
    with pytest.raises(ConfigurationInvalid) as info:
        python_updater.perform_update("demo", effective, "1.0")
    assert str(info.value) == problem


def test_sleep_a_bit_validate_reports_what_perform_update_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A duration given as text is reported by validate() and refused by perform_update with
    the same error, without sleeping."""
    slept: list[float] = []
    monkeypatch.setattr(sleep_a_bit.time, "sleep", slept.append)
    check = {"type": "always_current", "method": "sleep_a_bit", "duration": "2"}
    problem, effective = validated(tmp_path, "demo", check)
    assert problem.startswith("checks.demo.duration: ")
    assert not sleep_a_bit.can_perform_update("demo", effective)
    with pytest.raises(ConfigurationInvalid) as info:
        sleep_a_bit.perform_update("demo", effective, "1.0")
    assert str(info.value) == problem
    assert slept == []

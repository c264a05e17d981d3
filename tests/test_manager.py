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

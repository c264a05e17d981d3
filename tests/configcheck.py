"""Runs ``Manager.validate()`` on one target, for the updater tests that compare its answer
with what ``perform_update`` refuses."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from softwareupdate_core import Manager, hookimpl


class _Provides:
    """A plugin that provides one check config through the ``check_config`` hook (the only
    way to set a ``python_updater``)."""

    def __init__(self, name: str, check: Mapping[str, Any]) -> None:
        self.name = name
        self.check = dict(check)

    @hookimpl
    def softwareupdate_check_config(self) -> Mapping[str, Mapping[str, Any]]:
        return {self.name: self.check}


def validated(
    tmp_path: Path, name: str, check: Mapping[str, Any], *, hook: bool = False
) -> tuple[str, dict[str, Any]]:
    """``validate()``'s problem for target ``name`` and the effective check a round passes to
    its updater; ``hook`` provides the check through a plugin instead of the settings."""
    if hook:
        manager = Manager(
            {"check_overlay_url": None},
            data_folder=tmp_path / "data",
            load_entrypoints=False,
            plugins=[_Provides(name, check)],
        )
    else:
        manager = Manager(
            {"check_overlay_url": None, "checks": {name: dict(check)}},
            data_folder=tmp_path / "data",
            load_entrypoints=False,
        )
    with manager:
        problems = manager.validate()
        effective = manager.effective_checks()[name]
    assert list(problems) == [name], problems
    return problems[name], effective

"""softwareupdate-core: find newer versions of a program's components and apply them safely.

Public names only; everything else lives in modules the docs do not advertise.
Attributes are imported on first use so that ``softwareupdate --version`` stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from . import events
    from .config.settings import Settings
    from .hookspecs import hookimpl
    from .manager import Manager
    from .models import (
        CheckReport,
        RemoteRef,
        TargetStatus,
        UpdateLogEntry,
        UpdateReport,
        UpdateResult,
        VersionInformation,
        VersionRef,
    )

_LAZY = {
    "hookimpl": "hookspecs",
    "Manager": "manager",
    "Settings": "config.settings",
    "CheckReport": "models",
    "RemoteRef": "models",
    "TargetStatus": "models",
    "UpdateLogEntry": "models",
    "UpdateReport": "models",
    "UpdateResult": "models",
    "VersionInformation": "models",
    "VersionRef": "models",
}

__all__ = [
    "CheckReport",
    "Manager",
    "RemoteRef",
    "Settings",
    "TargetStatus",
    "UpdateLogEntry",
    "UpdateReport",
    "UpdateResult",
    "VersionInformation",
    "VersionRef",
    "__version__",
    "events",
    "hookimpl",
]


def __getattr__(name: str) -> Any:
    if name == "events":
        return importlib.import_module(f"{__name__}.events")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)

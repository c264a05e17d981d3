"""softwareupdate-core: find newer versions of a program's components and apply them safely.

Public names only: the Manager and its settings, the reports, the protocols a host and its
plugins implement (``Host``, ``EventSink``, ``VersionCheck``, ``Updater``) and the errors a
host catches; everything else lives in modules the docs do not advertise.
Attributes are imported on first use so that ``softwareupdate --version`` stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from . import events
    from .config.settings import Settings
    from .exceptions import (
        CannotCheckOffline,
        CannotUpdateOffline,
        CheckError,
        ConfigurationInvalid,
        NetworkError,
        NoUpdateAvailable,
        RestartFailed,
        SoftwareUpdateError,
        UnknownCheckType,
        UnknownUpdateType,
        UpdateAlreadyInProgress,
        UpdateError,
    )
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
    from .protocols import EventSink, Host, Updater, VersionCheck

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
    "CannotCheckOffline": "exceptions",
    "CannotUpdateOffline": "exceptions",
    "CheckError": "exceptions",
    "ConfigurationInvalid": "exceptions",
    "NetworkError": "exceptions",
    "NoUpdateAvailable": "exceptions",
    "RestartFailed": "exceptions",
    "SoftwareUpdateError": "exceptions",
    "UnknownCheckType": "exceptions",
    "UnknownUpdateType": "exceptions",
    "UpdateAlreadyInProgress": "exceptions",
    "UpdateError": "exceptions",
    "EventSink": "protocols",
    "Host": "protocols",
    "Updater": "protocols",
    "VersionCheck": "protocols",
}

__all__ = [
    "CannotCheckOffline",
    "CannotUpdateOffline",
    "CheckError",
    "CheckReport",
    "ConfigurationInvalid",
    "EventSink",
    "Host",
    "Manager",
    "NetworkError",
    "NoUpdateAvailable",
    "RemoteRef",
    "RestartFailed",
    "Settings",
    "SoftwareUpdateError",
    "TargetStatus",
    "UnknownCheckType",
    "UnknownUpdateType",
    "UpdateAlreadyInProgress",
    "UpdateError",
    "UpdateLogEntry",
    "UpdateReport",
    "UpdateResult",
    "Updater",
    "VersionCheck",
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

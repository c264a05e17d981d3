"""What one Manager's check and update rounds share, passed in rather than kept global."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable

import attrs
import pluggy

from .config.settings import Settings
from .http import HttpClient
from .plugins import Registry
from .protocols import EventSink, Host

log = logging.getLogger(__name__)


def no_events(name: str, payload: Mapping[str, Any]) -> None:
    """The event sink used when the host gives none."""


@attrs.frozen
class SafeSink:
    """Wraps a host's event sink so that a failing sink is logged and never breaks a round."""

    sink: EventSink

    def __call__(self, name: str, payload: Mapping[str, Any]) -> None:
        try:
            self.sink(name, payload)
        except Exception:
            log.exception("the event sink failed on %s", name)


def default_data_folder() -> Path:
    """The platform's per-user data folder for this library (XDG, macOS, Windows conventions)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("softwareupdate-core", appauthor=False))


@attrs.frozen
class Context:
    """Settings, plugin registry, HTTP client, data folder, host and event sink of a Manager."""

    settings: Settings
    registry: Registry
    plugin_manager: pluggy.PluginManager
    http: HttpClient
    data_folder: Path
    host: Host
    emit: EventSink = no_events
    clock: Callable[[], float] = time.time

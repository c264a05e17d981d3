"""OctoPrint as softwareupdate-core's host: the ``Host`` adapter and the event sink.

The host answers from OctoPrint's own components: online from the connectivity checker,
busy while a print runs or is paused, throttled from the Pi support plugin's
``get_throttled`` helper (when that plugin is present), and restarts through OctoPrint's
``server.commands`` (``serverRestartCommand`` / ``systemRestartCommand``). The sink puts the
library's events on OctoPrint's event bus under this plugin's custom event names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Optional

import attrs

from softwareupdate_core import events
from softwareupdate_core.exceptions import RestartFailed

#: The library's event name prefix; the rest of the name becomes a custom event of this plugin.
LIBRARY_PREFIX = "plugin_softwareupdate_"


def custom_event_names() -> list[str]:
    """Names for OctoPrint's ``octoprint.events.register_custom_events`` hook.

    OctoPrint prefixes them with ``plugin_softwareupdate_core_``: the library's
    ``plugin_softwareupdate_update_log_line`` becomes
    ``plugin_softwareupdate_core_update_log_line``.
    """
    return [name[len(LIBRARY_PREFIX) :] for name in events.ALL_EVENTS]


@attrs.define
class OctoPrintHost:
    """softwareupdate-core's ``Host`` protocol answered by a running OctoPrint."""

    connectivity_checker: Any
    printer: Any
    system_commands: Any
    get_throttled: Optional[Callable[[], Any]] = None
    octoprint_version: str = ""

    def is_online(self) -> bool:
        return bool(getattr(self.connectivity_checker, "online", True))

    def is_busy(self) -> bool:
        return bool(self.printer.is_printing() or self.printer.is_paused())

    def is_throttled(self) -> bool:
        if self.get_throttled is None:
            return False
        state = self.get_throttled()
        return isinstance(state, Mapping) and bool(state.get("current_issue", False))

    def restart(self, kind: str) -> None:
        """Run OctoPrint's configured restart command for ``kind``."""
        try:
            if kind == "octoprint":
                self.system_commands.perform_server_restart()
            elif kind == "environment":
                self.system_commands.perform_system_restart()
            else:
                raise RestartFailed(f"unknown restart kind {kind!r}")
        except RestartFailed:
            raise
        except Exception as exc:  # OctoPrint's CommandlineError and friends
            raise RestartFailed(f"the {kind} restart command failed: {exc}") from None

    def version_placeholders(self) -> Mapping[str, str]:
        return {"octoprint_version": self.octoprint_version}


@attrs.frozen
class EventBusSink:
    """Fires the library's events on OctoPrint's event bus as this plugin's custom events."""

    event_bus: Any
    prefix: str = "plugin_softwareupdate_core_"

    def __call__(self, name: str, payload: Mapping[str, Any]) -> None:
        short = name[len(LIBRARY_PREFIX) :] if name.startswith(LIBRARY_PREFIX) else name
        self.event_bus.fire(self.prefix + short, payload=dict(payload))

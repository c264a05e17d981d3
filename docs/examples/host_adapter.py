"""An example host adapter: how a program embeds softwareupdate-core.

The host here is a small printer server. It tells the library whether it is online, busy
(printing) or throttled, restarts itself when an update asks for it, and receives every
event, which it keeps in a list and forwards to its own notification system.
``tests/test_docs.py`` runs this file, so it stays correct.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, Optional

from softwareupdate_core import CheckReport, Manager, Settings, UpdateReport, events


class PrinterServer:
    """Stands in for the host program's own state."""

    def __init__(self) -> None:
        self.online = True
        self.printing = False
        self.undervoltage = False
        self.restarts: list[str] = []


class PrinterHost:
    """The ``Host`` protocol for :class:`PrinterServer` (every method is optional)."""

    def __init__(self, server: PrinterServer) -> None:
        self._server = server

    def is_online(self) -> bool:
        return self._server.online

    def is_busy(self) -> bool:
        # Updates wait while this is true, e.g. during a print.
        return self._server.printing

    def is_throttled(self) -> bool:
        return self._server.undervoltage

    def restart(self, kind: str) -> None:
        # "octoprint": restart the host program; "environment": reboot the machine.
        # A real host would ask its service manager here.
        self._server.restarts.append(kind)


class EventLog:
    """An event sink that keeps every event and forwards it to a callback.

    Events arrive from the library's worker threads, hence the lock.
    """

    def __init__(self, forward: Optional[Callable[[str, Mapping[str, Any]], None]] = None):
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._forward = forward
        self._lock = threading.Lock()

    def __call__(self, name: str, payload: Mapping[str, Any]) -> None:
        with self._lock:
            self.events.append((name, dict(payload)))
        if self._forward is not None:
            self._forward(name, payload)

    def names(self) -> list[str]:
        with self._lock:
            return [name for name, _ in self.events]


def notify_user(name: str, payload: Mapping[str, Any]) -> None:
    """What the host shows its users; here only the two outcome events matter."""
    if name == events.UPDATE_SUCCEEDED:
        print(f"{payload['target']} was updated to {payload['to_version']}")
    elif name == events.UPDATE_FAILED:
        print(f"updating {payload['target']} failed")


def make_manager(
    settings: Mapping[str, Any], data_folder: Path, server: PrinterServer, sink: EventLog
) -> Manager:
    """The one place the host builds its Manager."""
    return Manager(
        Settings.from_mapping(settings),
        data_folder=data_folder,
        host=PrinterHost(server),
        events=sink,
    )


def check_and_update(manager: Manager) -> tuple[CheckReport, Optional[UpdateReport]]:
    """Check everything; apply updates only when one is available and possible."""
    report = manager.check()
    for name, status in report.targets.items():
        state = "update available" if status.update_available else "current"
        print(
            f"{status.display_name} ({name}): {status.local_version} -> "
            f"{status.remote_version}: {state}"
        )
    if not report.update_possible:
        return report, None
    return report, manager.update()


if __name__ == "__main__":
    import tempfile

    demo_settings = {
        "check_overlay_url": None,
        "minimum_free_storage": 0,
        "checks": {
            "demo": {
                "type": "never_current",
                "local_version": "1.0.0",
                "remote_version": "1.1.0",
                "method": "sleep_a_bit",
                "duration": 0,
                "restart": "octoprint",
            }
        },
    }
    with tempfile.TemporaryDirectory() as folder:
        printer = PrinterServer()
        with make_manager(demo_settings, Path(folder), printer, EventLog(notify_user)) as m:
            check_and_update(m)
        print("restarts requested:", printer.restarts)

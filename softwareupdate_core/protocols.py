"""The plugin surface as typing Protocols: what a version check, updater, host and sink are."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Callable, Optional, Protocol, Union, runtime_checkable

from .models import VersionInformation

log = logging.getLogger(__name__)

#: Called with an event name (see ``softwareupdate_core.events``) and its payload.
EventSink = Callable[[str, Mapping[str, Any]], None]

#: What ``get_latest`` may return: our model or OctoPrint's dict shape, with is-current.
LatestResult = tuple[Union[VersionInformation, Mapping[str, Any]], bool]


@runtime_checkable
class VersionCheck(Protocol):
    """Anything with a ``get_latest`` function qualifies; a module qualifies.

    ``get_latest`` returns ``(information, is_current)``. Network checks receive the shared
    HTTP client as the keyword argument ``http`` (a :class:`~softwareupdate_core.http.HttpClient`)
    and must accept and ignore further keyword arguments.
    """

    def get_latest(
        self,
        target: str,
        check: Mapping[str, Any],
        online: bool = True,
        credentials: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> LatestResult: ...


@runtime_checkable
class Updater(Protocol):
    """Anything with ``can_perform_update`` and ``perform_update`` qualifies; a module qualifies.

    ``log_cb`` is called as ``log_cb(lines, prefix=None, stream=None)`` with ``stream`` one of
    ``call``, ``stdout``, ``stderr`` or ``message``.
    """

    def can_perform_update(
        self, target: str, check: Mapping[str, Any], online: bool = True
    ) -> bool: ...

    def perform_update(
        self,
        target: str,
        check: Mapping[str, Any],
        target_version: str,
        log_cb: Optional[Callable[..., None]] = None,
        online: bool = True,
        force: bool = False,
    ) -> Any: ...


class Host(Protocol):
    """The program being updated. Every method is optional; see :class:`DefaultHost`.

    ``is_busy`` true (e.g. printing) makes updates wait; ``restart(kind)`` with ``kind`` one of
    ``"octoprint"`` (the host program) or ``"environment"`` (the whole machine).
    """

    def is_online(self) -> bool: ...

    def is_busy(self) -> bool: ...

    def is_throttled(self) -> bool: ...

    def restart(self, kind: str) -> None: ...


class DefaultHost:
    """The defaults a host gets for methods it does not define: online, idle, no restart."""

    def is_online(self) -> bool:
        return True

    def is_busy(self) -> bool:
        return False

    def is_throttled(self) -> bool:
        return False

    def restart(self, kind: str) -> None:
        raise NotImplementedError("this host cannot restart itself")

    def version_placeholders(self) -> Mapping[str, str]:
        """Extra ``{name}`` values for display names and versions (e.g. ``octoprint_version``)."""
        return {}


def host_call(host: Host, name: str, *args: Any) -> Any:
    """Call ``host.<name>(*args)`` falling back to :class:`DefaultHost` when it is missing."""
    method = getattr(host, name, None)
    if method is None:
        method = getattr(DefaultHost(), name)
    return method(*args)


def host_answer(
    host: Host,
    name: str,
    fallback: bool,
    *,
    on_error: Optional[Callable[[Exception], None]] = None,
) -> bool:
    """``host.<name>()`` as a bool; when the host's method raises, log it and return ``fallback``.

    A host callback is code we do not control: its bug must not escape an update round. The
    caller picks the safe ``fallback`` (e.g. "busy" makes a round wait); ``on_error`` gets the
    exception when the caller wants to say why.
    """
    try:
        return bool(host_call(host, name))
    except Exception as exc:
        log.exception("the host's %s() failed; assuming %s", name, fallback)
        if on_error is not None:
            on_error(exc)
        return fallback

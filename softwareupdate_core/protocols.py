"""The plugin surface as typing Protocols: what a version check, updater, host and sink are."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Callable, Literal, Optional, Protocol, Union, runtime_checkable

import attrs

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


#: How a check type learns its installed version when ``current`` is not configured.
TracksCurrent = Optional[Literal["after_update", "learn"]]


@attrs.frozen(kw_only=True)
class CheckCapabilities:
    """What the rounds need to know about a check type; a module's ``CAPABILITIES``.

    The rounds never ask a check type's name: a built-in declares nothing a third-party
    check cannot declare the same way. A module without ``CAPABILITIES`` gets the defaults.
    """

    #: Needs the network: while the host is offline the check raises CannotCheckOffline
    #: unless the target's config says ``offline: true``.
    network: bool = True
    #: ``"after_update"``: ``current`` is a commit the library records after a successful
    #: update; ``"learn"``: additionally the first answer is recorded as installed.
    tracks_current: TracksCurrent = None
    #: Has ``stable_branch``/``prerelease_branches`` release channels chosen among releases.
    channels: bool = False
    #: Global settings filled into the check config when it lacks them (``max_pages``,
    #: ``index_url``): only checks that read them get them, so other digests stay unchanged.
    settings_defaults: tuple[str, ...] = ()
    #: An answer without an installed version means "not installed" (never an update).
    absent_means_not_installed: bool = False
    #: ``installed_version(target, check, **round_keywords) -> str | None``: the version
    #: installed now, read cheaply before the cache is asked, so an outside change to it
    #: makes the cached answer stale (the cache key includes it).
    installed_version: Optional[Callable[..., Optional[str]]] = None
    #: ``batch(checks, *, credentials, online, http, **round_keywords) -> {target: answer}``:
    #: checks many targets of this type at once (``checks`` maps target -> check config). An
    #: answer is ``(information, is_current)`` or the target's exception; targets it leaves
    #: out are checked one by one with ``get_latest``. Its own failure fails no target.
    batch: Optional[Callable[..., Mapping[str, Any]]] = None


@attrs.frozen(kw_only=True)
class UpdaterCapabilities:
    """What the rounds need to know about an update method; a module's ``CAPABILITIES``."""

    #: Needs the network: offline, the update is refused unless ``offline: true``.
    network: bool = True
    #: The restart a successful update needs unless the check sets ``restart``:
    #: None, ``"octoprint"`` (the host program) or ``"environment"`` (the machine).
    restart: Optional[Literal["octoprint", "environment"]] = None
    #: ``verify(target, check, target_version) -> str | None``: after the update, a problem
    #: found with it (None when it is fine).
    verify: Optional[Callable[[str, Mapping[str, Any], str], Optional[str]]] = None
    #: ``rollback(target, check, previous_version, log_cb=..., online=...)``: reinstall the
    #: version from before a failed update; raises when that fails.
    rollback: Optional[Callable[..., Any]] = None
    #: ``interpreter(check) -> str``: the Python of the environment the update goes into,
    #: for the check's ``verify`` key (default: the running interpreter).
    interpreter: Optional[Callable[[Mapping[str, Any]], str]] = None
    #: Can install an older version, so leaving a prerelease channel compares versions for
    #: inequality (the newest stable is offered even when older).
    installs_older: bool = False
    #: ``first(target, check) -> bool``: updated right after the host target (an installer
    #: that the later updates use).
    first: Optional[Callable[[str, Mapping[str, Any]], bool]] = None
    #: ``guard(settings) -> str | None``: why this method cannot run now (a refusal of the
    #: round when a target of it is planned).
    guard: Optional[Callable[[Any], Optional[str]]] = None


#: The defaults of a check type or update method without ``CAPABILITIES``.
DEFAULT_CHECK_CAPABILITIES = CheckCapabilities()
DEFAULT_UPDATER_CAPABILITIES = UpdaterCapabilities()


def check_capabilities(checker: object) -> CheckCapabilities:
    """``checker.CAPABILITIES`` when it is a :class:`CheckCapabilities`, else the defaults."""
    found = getattr(checker, "CAPABILITIES", None)
    if isinstance(found, CheckCapabilities):
        return found
    if found is not None:
        log.warning("%r: CAPABILITIES is not a CheckCapabilities; using the defaults", checker)
    return DEFAULT_CHECK_CAPABILITIES


def updater_capabilities(updater: object) -> UpdaterCapabilities:
    """``updater.CAPABILITIES`` when it is an :class:`UpdaterCapabilities`, else the defaults."""
    found = getattr(updater, "CAPABILITIES", None)
    if isinstance(found, UpdaterCapabilities):
        return found
    if found is not None:
        log.warning("%r: CAPABILITIES is not an UpdaterCapabilities; using the defaults", updater)
    return DEFAULT_UPDATER_CAPABILITIES


def parse_with(owner: object, target: str, check: Mapping[str, Any]) -> Any:
    """``owner.parse_config(target, check)``, or ``check`` itself when it has no parser.

    Raises the parser's ConfigurationInvalid; any other exception of a third-party parser
    becomes a ConfigurationInvalid naming the target (its bug must not crash a round).
    """
    parse = getattr(owner, "parse_config", None)
    if not callable(parse):
        return check
    from .exceptions import ConfigurationInvalid

    try:
        return parse(target, check)
    except ConfigurationInvalid:
        raise
    except Exception as exc:
        log.exception("parse_config of %s failed", target)
        raise ConfigurationInvalid(
            f"the config parser failed: {type(exc).__name__}: {exc}", key=f"checks.{target}"
        ) from None


def require_online(
    target: str,
    check: Mapping[str, Any],
    online: bool,
    what: str,
    *,
    network: bool = True,
    update: bool = False,
) -> None:
    """The one offline rule, for checks and updates alike.

    Something that needs the ``network`` while the host is offline raises CannotCheckOffline
    (CannotUpdateOffline with ``update``) unless the target's config says ``offline: true``:
    its server is on the local network, so it works without the internet.
    """
    if not network or online or check.get("offline") is True:
        return
    from .exceptions import CannotCheckOffline, CannotUpdateOffline

    if update:
        raise CannotUpdateOffline(f"{target}: {what} needs the network (set offline: true if not)")
    raise CannotCheckOffline(
        f"{target}: {what} needs the network (offline: true if its server is local)"
    )


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

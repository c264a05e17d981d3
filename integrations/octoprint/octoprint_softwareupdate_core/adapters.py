"""Adapters that let OctoPrint's bundled Software Update plugin run on softwareupdate-core.

The bundled plugin finds a check type with ``getattr(version_checks, check["type"])`` and an
update method with ``getattr(updaters, method)`` on two helper packages, then calls
``get_latest`` / ``can_perform_update`` / ``perform_update`` with its own arguments and
expects its own dict shapes and exception classes back. :func:`install` puts an adapter object
per type and method on those packages; the adapters call the library's implementation through
the one shared :class:`~softwareupdate_core.http.HttpClient`, return OctoPrint's shapes and
translate the library's exceptions into the classes of
``octoprint.plugins.softwareupdate.exceptions``.
"""

from __future__ import annotations

import logging
import types
from collections.abc import Mapping
from typing import Any, Callable, Optional

import attrs

from softwareupdate_core import events
from softwareupdate_core import exceptions as core
from softwareupdate_core.models import VersionInformation
from softwareupdate_core.protocols import EventSink
from softwareupdate_core.redact import redact_urls
from softwareupdate_core.util import call_plugin

log = logging.getLogger(__name__)

#: ``engine`` setting values.
ENGINE_CORE = "core"
ENGINE_EXTRA_TYPES = "extra_types"
ENGINES = (ENGINE_CORE, ENGINE_EXTRA_TYPES)

#: Types the bundled plugin of OctoPrint 1.11 does not know, and how it must treat them:
#: commit types track ``current`` themselves, release types get the release handling.
COMMIT_TYPES = ("forgejo_commit", "codeberg_commit")
RELEASE_TYPES = ("forgejo_release", "codeberg_release", "gitlab_release")

Sink = EventSink


def octoprint_error(exc: BaseException, ops: types.ModuleType) -> BaseException:
    """The exception of OctoPrint's ``exceptions`` module ``ops`` that stands for ``exc``.

    The bundled plugin turns each class into a report error code (``network``, ``api``,
    ``ratelimit``, ``check``, ``unknown_check``), so the mapping keeps the library's meaning.
    A configuration error becomes a :class:`ConfigurationInvalid` that is also a
    :class:`CheckError`, so the target shows ``error: check`` instead of a traceback.
    """
    message = redact_urls(str(exc)) or type(exc).__name__
    if isinstance(exc, core.CannotCheckOffline):
        return ops.CannotCheckOffline(message)  # type: ignore[no-any-return]
    if isinstance(exc, core.NetworkError):
        return ops.NetworkError(message=message, cause=exc.__cause__)  # type: ignore[no-any-return]
    if isinstance(exc, core.RateLimitCheckError):
        return ops.RateLimitCheckError(  # type: ignore[no-any-return]
            message,
            remaining=getattr(exc, "remaining", None),
            limit=getattr(exc, "limit", None),
            reset=getattr(exc, "reset", None),
        )
    if isinstance(exc, core.ApiCheckError):
        status = getattr(exc, "status", None)
        return ops.ApiCheckError(status, getattr(exc, "api_message", "") or message)  # type: ignore[no-any-return]
    if isinstance(exc, core.UnknownCheckType):
        return _unknown_check_type(ops)(message)
    if isinstance(exc, core.ConfigurationInvalid):
        return _invalid_config(ops)(message)
    if isinstance(exc, core.CannotUpdateOffline):
        return ops.CannotUpdateOffline(message)  # type: ignore[no-any-return]
    if isinstance(exc, core.UnknownUpdateType):
        return _unknown_update_type(ops)(message)
    if isinstance(exc, core.UpdateError):
        return ops.UpdateError(message, message)  # type: ignore[no-any-return]
    if isinstance(exc, core.RestartFailed):
        return ops.RestartFailed(message)  # type: ignore[no-any-return]
    return ops.CheckError(message)  # type: ignore[no-any-return]


def _unknown_check_type(ops: types.ModuleType) -> type[Exception]:
    """OctoPrint's ``UnknownCheckType``, also an ``AttributeError`` (see :func:`install`)."""
    return type("UnknownCheckType", (ops.UnknownCheckType, AttributeError), {})


def _unknown_update_type(ops: types.ModuleType) -> type[Exception]:
    return type("UnknownUpdateType", (ops.UnknownUpdateType, AttributeError), {})


def _invalid_config(ops: types.ModuleType) -> type[Exception]:
    return type("ConfigurationInvalid", (ops.CheckError, ops.ConfigurationInvalid), {})


@attrs.define
class Engine:
    """Runs check types and update methods of a Manager for OctoPrint's bundled plugin.

    ``manager`` is the plugin's one :class:`~softwareupdate_core.Manager`: its registry knows
    the types, its HTTP client (kept-alive session, validator store in the plugin's data
    folder) serves every request. ``ops`` is OctoPrint's exceptions module.
    """

    manager: Any
    ops: types.ModuleType
    emit: Sink

    # -- checks ---------------------------------------------------------------------------
    def get_latest(
        self,
        type_name: str,
        target: str,
        check: Mapping[str, Any],
        online: bool,
        credentials: Optional[Mapping[str, Any]],
    ) -> tuple[dict[str, Any], bool]:
        """``get_latest`` of the library's ``type_name``, in OctoPrint's shapes and errors."""
        try:
            checker = self.manager.registry.version_check(type_name)
            raw, is_current = call_plugin(
                checker.get_latest,
                target,
                dict(check),
                online=online,
                credentials=credentials,
                http=self.manager.http,
            )
            information = VersionInformation.coerce(raw)
        except core.SoftwareUpdateError as exc:
            log.warning("%s: %s check failed: %s", target, type_name, redact_urls(str(exc)))
            raise octoprint_error(exc, self.ops) from None
        finally:
            self._flush()
        return information.as_dict(), bool(is_current)

    def _flush(self) -> None:
        """Persist new validators now: OctoPrint's rounds are not the Manager's rounds."""
        validators = getattr(self.manager.http, "validators", None)
        flush = getattr(validators, "flush", None)
        if callable(flush):
            flush()

    # -- updates --------------------------------------------------------------------------
    def can_perform_update(
        self, method: str, target: str, check: Mapping[str, Any], online: bool
    ) -> bool:
        try:
            updater = self.manager.registry.updater(method)
            return bool(call_plugin(updater.can_perform_update, target, dict(check), online=online))
        except core.SoftwareUpdateError as exc:
            raise octoprint_error(exc, self.ops) from None

    def perform_update(
        self,
        method: str,
        target: str,
        check: Mapping[str, Any],
        target_version: str,
        log_cb: Optional[Callable[..., None]],
        online: bool,
        force: bool,
    ) -> Any:
        """Run the library's updater, then the method's ``verify`` capability; when that finds
        a problem, its ``rollback`` capability (as the library's own update round does)."""
        check = dict(check)
        from_version = check.get("current")
        payload = {"target": target, "from_version": from_version, "to_version": target_version}
        self.emit(events.UPDATE_TARGET_STARTED, payload)
        logger = self._log_cb(target, log_cb)
        try:
            updater = self.manager.registry.updater(method)
            capabilities = self.manager.registry.updater_capabilities(method)
            result = self._perform(updater, target, check, target_version, logger, online, force)
            if capabilities.verify is not None:
                problem = capabilities.verify(target, check, target_version)
                if problem is not None:
                    self._roll_back(
                        capabilities.rollback, target, check, from_version, problem, logger, online
                    )
        except core.SoftwareUpdateError as exc:
            log.warning("%s: update with %s failed: %s", target, method, redact_urls(str(exc)))
            if isinstance(exc, core.ConfigurationInvalid):
                # OctoPrint shows an UpdateError's reason to the user; a config error is one
                message = redact_urls(str(exc))
                raise self.ops.UpdateError(message, message) from None
            raise octoprint_error(exc, self.ops) from None
        return result

    def _perform(
        self,
        updater: Any,
        target: str,
        check: dict[str, Any],
        version: str,
        log_cb: Callable[..., None],
        online: bool,
        force: bool,
    ) -> Any:
        return call_plugin(
            updater.perform_update,
            target,
            check,
            version,
            log_cb=log_cb,
            online=online,
            force=force,
            http=self.manager.http,
        )

    def _roll_back(
        self,
        rollback: Optional[Callable[..., Any]],
        target: str,
        check: dict[str, Any],
        previous: Any,
        problem: str,
        log_cb: Callable[..., None],
        online: bool,
    ) -> None:
        """Undo a failed update with the method's ``rollback``; always raises UpdateError."""
        if rollback is None:
            raise core.UpdateError(problem)
        if not previous:
            raise core.UpdateError(f"{problem}; cannot roll back, the previous version is unknown")
        log_cb([f"{problem}; rolling back to {previous}"], stream="message")
        try:
            call_plugin(rollback, target, check, str(previous), log_cb=log_cb, online=online)
        except core.SoftwareUpdateError as exc:
            raise core.UpdateError(f"{problem}; rolling back to {previous} failed: {exc}") from None
        log_cb([f"rolled back to {previous}"], stream="message")
        raise core.UpdateError(f"{problem}; rolled back to {previous}")

    def _log_cb(self, target: str, log_cb: Optional[Callable[..., None]]) -> Callable[..., None]:
        """OctoPrint's ``log_cb`` that also puts every line on the event bus."""

        def log_lines(
            lines: Any, prefix: Optional[str] = None, stream: Optional[str] = None
        ) -> None:
            if isinstance(lines, (str, bytes)):
                lines = [lines]
            texts = [
                redact_urls(x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x))
                for x in lines
            ]
            if log_cb is not None:
                log_cb(texts, prefix=prefix, stream=stream)
            for text in texts:
                self.emit(
                    events.UPDATE_LOG_LINE,
                    {"target": target, "stream": stream or "message", "line": text},
                )

        return log_lines


@attrs.frozen
class CheckAdapter:
    """Stands on OctoPrint's ``version_checks`` package in place of a check type module."""

    engine: Engine
    type_name: str

    def get_latest(
        self,
        target: str,
        check: Mapping[str, Any],
        online: bool = True,
        credentials: Optional[Mapping[str, Any]] = None,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[dict[str, Any], bool]:
        return self.engine.get_latest(self.type_name, target, check, online, credentials)


@attrs.frozen
class UpdaterAdapter:
    """Stands on OctoPrint's ``updaters`` package in place of an update method module."""

    engine: Engine
    method: str

    def can_perform_update(
        self, target: str, check: Mapping[str, Any], online: bool = True, **kwargs: Any
    ) -> bool:
        return self.engine.can_perform_update(self.method, target, check, online)

    def perform_update(
        self,
        target: str,
        check: Mapping[str, Any],
        target_version: str,
        log_cb: Optional[Callable[..., None]] = None,
        online: bool = True,
        force: bool = False,
        **kwargs: Any,
    ) -> Any:
        return self.engine.perform_update(
            self.method, target, check, target_version, log_cb, online, force
        )


@attrs.define
class Installation:
    """What :func:`install` changed on OctoPrint's packages, so :meth:`undo` can restore it."""

    _saved: list[tuple[object, str, object]] = attrs.field(factory=list)
    check_types: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()

    def set(self, owner: object, name: str, value: object) -> None:
        self._saved.append((owner, name, getattr(owner, name, _MISSING)))
        setattr(owner, name, value)

    def undo(self) -> None:
        for owner, name, old in reversed(self._saved):
            if old is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, old)
        self._saved.clear()


_MISSING = object()


def install(
    engine: Engine,
    mode: str,
    version_checks: types.ModuleType,
    updaters: types.ModuleType,
    bundled: Optional[object] = None,
) -> Installation:
    """Put adapters on OctoPrint's ``version_checks`` and ``updaters`` packages.

    ``core`` replaces every type and method the library knows (OctoPrint's built-ins
    included); ``extra_types`` adds only the names OctoPrint lacks. Either way a module
    ``__getattr__`` makes an unknown name raise OctoPrint's ``UnknownCheckType`` /
    ``UnknownUpdateType`` (subclassed with ``AttributeError``, so ``hasattr`` and the import
    system still read it as "absent"). ``bundled`` is the bundled plugin's implementation: it
    learns that the new commit and release types track ``current`` and releases.
    """
    if mode not in ENGINES:
        raise core.ConfigurationInvalid(
            f"expected one of {', '.join(ENGINES)}, got {mode!r}", key="engine"
        )
    done = Installation()
    registry = engine.manager.registry
    checks = []
    for name in registry.version_checks:
        if mode == ENGINE_CORE or not hasattr(version_checks, name):
            done.set(version_checks, name, CheckAdapter(engine, name))
            checks.append(name)
    methods = []
    for name in registry.updaters:
        if mode == ENGINE_CORE or not hasattr(updaters, name):
            done.set(updaters, name, UpdaterAdapter(engine, name))
            methods.append(name)
    done.set(version_checks, "__getattr__", _absent(_unknown_check_type(engine.ops), "check type"))
    done.set(updaters, "__getattr__", _absent(_unknown_update_type(engine.ops), "update method"))
    if bundled is not None:
        _teach_types(done, bundled, checks)
    done.check_types, done.methods = tuple(checks), tuple(methods)
    return done


def _absent(error: type[Exception], what: str) -> Callable[[str], Any]:
    def __getattr__(name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise error(f"unknown {what} {name!r}: neither OctoPrint nor softwareupdate-core has it")

    return __getattr__


def _teach_types(done: Installation, bundled: object, checks: list[str]) -> None:
    """Extend the bundled plugin's type tuples (instance attributes) with the new types."""

    def extended(name: str, extra: tuple[str, ...]) -> None:
        old = tuple(getattr(bundled, name, ()))
        added = tuple(t for t in extra if t in checks and t not in old)
        if added:
            done.set(bundled, name, old + added)

    extended("COMMIT_TRACKING_TYPES", COMMIT_TYPES)
    extended("CURRENT_TRACKING_TYPES", COMMIT_TYPES)
    extended("RELEASE_TRACKING_TYPES", RELEASE_TYPES)

"""One check round: effective configs -> version cache -> concurrent checks -> CheckReport.

The effective configs come from :mod:`softwareupdate_core.config.effective` (resolved once
per round); statuses are built by :mod:`.status`. A target answered by the version cache
costs no import, no HTTP machinery and no thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import Any, Callable, Optional

import attrs

from .. import events
from ..config.effective import ConfigResolver, Resolved
from ..config.overlays import OVERLAYS_FILE, OverlaySource
from ..context import Context, no_events
from ..exceptions import (
    ConfigurationInvalid,
    SoftwareUpdateError,
    UnknownCheckType,
    UnknownTarget,
    error_code,
)
from ..http.conditional import VALIDATORS_FILE, PersistentValidatorStore
from ..memo import Memo
from ..models import (
    CheckReport,
    ReleaseChannels,
    VersionInformation,
    VersionRef,
)
from ..protocols import host_call
from ..store.state import STATE_FILE, StateStore
from ..store.version_cache import (
    VERSION_CACHE_FILE,
    CacheEntry,
    ConfigDigests,
    VersionCache,
    config_hash,
)
from ..util import PluginCall
from .batch import UNPARSED, answer_batched, call_checker
from .status import Answer, OncePerRound, StatusBuilder, release_channels_of, utc

log = logging.getLogger(__name__)


class CheckRunner:
    """Runs check rounds for one Manager; thread-safe, and concurrent rounds share work."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        folder = ctx.data_folder
        self._guard: Optional[Callable[[Resolved], Optional[str]]] = None
        self._cache = VersionCache(folder / VERSION_CACHE_FILE, ctx.clock)
        self._state = StateStore(folder / STATE_FILE, ctx.clock)
        self._overlays = OverlaySource(folder / OVERLAYS_FILE, ctx.http, ctx.clock)
        self._validators = PersistentValidatorStore(folder / VALIDATORS_FILE, ctx.clock)
        self._digests = ConfigDigests()
        ctx.http.validators = self._validators
        self._lock = threading.Lock()
        self._inflight: dict[tuple[Optional[tuple[str, ...]], bool], Future[CheckReport]] = {}
        self._calls: dict[str, PluginCall] = {}
        self._memo = Memo()
        self._config = ConfigResolver(ctx, self._overlays, self._state)
        self._statuses = StatusBuilder(ctx, self._state)

    # -- configuration ------------------------------------------------------------------
    def set_guard(self, guard: Callable[[Resolved], Optional[str]]) -> None:
        """``guard(resolved)`` returns why updates are not possible right now, or None."""
        self._guard = guard

    def effective_checks(self) -> dict[str, dict[str, Any]]:
        """Every valid target's check config, with overlays, user settings and state applied."""
        return {k: dict(v) for k, v in self._resolve(self._online(), force=False).checks.items()}

    def config_problems(self) -> dict[str, str]:
        """Configured targets that cannot be checked or are ignored, with the reason why."""
        resolved = self._resolve(self._online(), force=False)
        return {**resolved.ignored, **resolved.problems}

    def resolve(self, *, force: bool = False, parse_checks: bool = False) -> Resolved:
        """The effective configuration of a round, resolved once (see config.effective)."""
        return self._config.resolve(self._online(), force=force, parse_checks=parse_checks)

    def _resolve(self, online: bool, *, force: bool) -> Resolved:
        return self._config.resolve(online, force=force)

    def _online(self) -> bool:
        try:
            return bool(host_call(self._ctx.host, "is_online"))
        except Exception:
            log.exception("the host's is_online() failed; assuming online")
            return True

    # -- rounds -------------------------------------------------------------------------
    def check(
        self,
        targets: Optional[Iterable[str]] = None,
        *,
        force: bool = False,
        resolved: Optional[Resolved] = None,
    ) -> CheckReport:
        """Check ``targets`` (default: all); a call made while the same round runs shares it.

        ``resolved`` is the effective configuration an update round resolved already.
        """
        wanted = None if targets is None else tuple(dict.fromkeys(str(t) for t in targets))
        key = (wanted, force)
        with self._lock:
            future = self._inflight.get(key)
            owner = future is None
            if future is None:
                future = self._inflight[key] = Future()
        if not owner:
            return future.result()
        try:
            report = self._round(wanted, force, resolved)
        except BaseException as exc:
            future.set_exception(exc)
            raise
        else:
            future.set_result(report)
            return report
        finally:
            with self._lock:
                self._inflight.pop(key, None)

    def _round(
        self, wanted: Optional[tuple[str, ...]], force: bool, resolved: Optional[Resolved]
    ) -> CheckReport:
        ctx = self._ctx
        online = self._online()
        if resolved is None:
            resolved = self._resolve(online, force=force)
        names = list(wanted) if wanted is not None else [*resolved.checks, *resolved.problems]
        ctx.emit(events.CHECK_STARTED, {"targets": list(names), "force": force})
        self._cache.refresh()
        now = ctx.clock()
        ttl = ctx.settings.cache_ttl * 60.0
        answers: dict[str, Answer] = {}
        pending: dict[str, tuple[dict[str, Any], str]] = {}
        # per-round lookups hoisted out of the per-target loop (a warm round is all loop)
        checks = resolved.checks
        known_types = ctx.registry.version_checks
        entries = self._cache.entries()
        digests = self._digests.for_round(checks)
        for name in names:
            check = checks.get(name)
            if check is None:
                reason = resolved.problems.get(name, "no check is configured for it")
                code = resolved.codes.get(name, "unknown_check")
                answers[name] = Answer(error=code, error_message=f"{name}: {reason}")
                continue
            if check.get("disabled"):
                answers[name] = Answer()
                continue
            if check["type"] not in known_types:
                answers[name] = Answer(
                    error="unknown_check",
                    error_message=f"{name}: unknown check type {check['type']!r}",
                )
                continue
            problem = resolved.check_problems.get(name)
            if problem is not None:
                answers[name] = Answer(error="config", error_message=problem)
                continue
            digest = self._digest(name, check, digests.digest(name, check))
            entry = entries.get(name)
            if not force and entry is not None and entry.fresh(digest, online, now, ttl):
                answers[name] = Answer(entry)
            else:
                pending[name] = (check, digest)

        done = 0
        total = len(names)
        emit = ctx.emit
        if emit is not no_events:
            for name in answers:
                done += 1
                emit(events.CHECK_PROGRESS, {"target": name, "done": done, "total": total})
        else:
            done = len(answers)
        if pending:
            workers = max(1, min(ctx.settings.max_workers, len(pending)))
            with ctx.http.round(), ThreadPoolExecutor(workers, "softwareupdate-check") as pool:
                parsed: dict[str, Any] = {}  # parse_config results, one parse per target
                for name, answer in answer_batched(
                    ctx, self._memo, pending, online, parsed, self._failed, self._record
                ).items():
                    del pending[name]
                    answers[name] = answer
                    done += 1
                    ctx.emit(
                        events.CHECK_PROGRESS, {"target": name, "done": done, "total": len(names)}
                    )
                futures = {
                    pool.submit(
                        self._check_one, name, check, digest, online, parsed.get(name, UNPARSED)
                    ): name
                    for name, (check, digest) in pending.items()
                }
                for fut in as_completed(futures):
                    name = futures[fut]
                    answers[name] = fut.result()
                    done += 1
                    ctx.emit(
                        events.CHECK_PROGRESS, {"target": name, "done": done, "total": len(names)}
                    )
            self._cache.flush()
            self._validators.flush()

        guard = OncePerRound(lambda: self._guard_reason(resolved))
        host_values = self._statuses.host_values()
        statuses = {
            name: self._statuses.status(
                name,
                resolved.checks.get(name),
                answers[name],
                online,
                guard,
                resolved.states.get(name),
                host_values,
                update_problem=resolved.update_problems.get(name),
            )
            for name in names
        }
        report = CheckReport(targets=statuses, online=online, checked_at=utc(ctx.clock()))
        ctx.emit(
            events.CHECK_FINISHED,
            {"targets": list(names), "update_available": report.update_available},
        )
        return report

    def _digest(self, name: str, check: dict[str, Any], config_digest: str) -> str:
        """The cache key: the config's digest, and the installed version when the check type
        can tell it cheaply (``installed_version`` capability), so an outside change shows."""
        read = self._ctx.registry.check_capabilities(str(check["type"])).installed_version
        if read is None:
            return config_digest
        try:
            installed = read(name, check, memo=self._memo, data_folder=self._ctx.data_folder)
        except Exception:
            log.exception("reading the installed version of %s failed", name)
            installed = None
        return config_hash({"config": config_digest, "installed": installed})

    def _guard_reason(self, resolved: Resolved) -> Optional[str]:
        if self._guard is None:
            return None
        try:
            return self._guard(resolved)
        except Exception as exc:
            log.exception("the update guard failed")
            return f"cannot tell whether updates are possible: {exc}"

    # -- one target ---------------------------------------------------------------------
    def _failed(self, name: str, digest: str, exc: BaseException) -> Answer:
        """The answer of a failed check: logged, with an earlier good answer if fresh enough."""
        if isinstance(exc, SoftwareUpdateError):
            message = str(exc)
            log.info("check of %s failed: %s", name, message)
        else:  # a third-party checker's bug must not fail the round
            log.error("check of %s failed", name, exc_info=exc)
            message = f"{type(exc).__name__}: {exc}"
        return self._fallback(name, digest, error_code(exc), message)

    def _check_one(
        self,
        name: str,
        check: dict[str, Any],
        digest: str,
        online: bool,
        parsed: Any = UNPARSED,
    ) -> Answer:
        try:
            info, is_current = self._call_checker(name, check, online, parsed)
        except Exception as exc:
            return self._failed(name, digest, exc)
        return self._record(name, check, digest, online, info, is_current)

    def _record(
        self,
        name: str,
        check: dict[str, Any],
        digest: str,
        online: bool,
        info: VersionInformation,
        is_current: bool,
    ) -> Answer:
        """Store a check's answer in the version cache (learning ``current`` where it may)."""
        if (
            self._ctx.registry.check_capabilities(str(check["type"])).tracks_current == "learn"
            and not check.get("current")
            and not info.local.value
            and info.remote.value
        ):
            # first answer of a header or document: what is there now counts as installed
            self._state.update(name, current=info.remote.value)
            check = self._state.get(name).apply(check)
            digest = self._digest(name, check, config_hash(check))
            info = attrs.evolve(info, local=VersionRef(info.remote.name, info.remote.value))
            is_current = True
        entry = CacheEntry(digest, online, self._ctx.clock(), info, bool(is_current))
        self._cache.put(name, entry)
        return Answer(entry)

    def _fallback(self, name: str, digest: str, code: str, message: str) -> Answer:
        """Stale-while-error: an earlier good answer for the same config, within the limit."""
        entry = self._cache.get(name)
        limit = self._ctx.settings.stale_limit * 60.0
        if entry is not None and entry.config_hash == digest:
            age = entry.age(self._ctx.clock())
            if age < limit:
                return Answer(entry, code, message, stale=True)
        return Answer(None, code, message)

    def _call_checker(
        self, name: str, check: dict[str, Any], online: bool, parsed: Any = UNPARSED
    ) -> tuple[VersionInformation, bool]:
        return call_checker(self._ctx, self._memo, self._call_of, name, check, online, parsed)

    def _call_of(self, key: str, function: Callable[..., Any]) -> PluginCall:
        """The :class:`~.util.PluginCall` of check type ``key``, inspected once per runner."""
        with self._lock:
            if key in self._calls:
                return self._calls[key]
        found = PluginCall.of(function)
        with self._lock:
            self._calls[key] = found
        return found

    # -- channels, skip, state ----------------------------------------------------------
    def _check_of(self, target: str) -> dict[str, Any]:
        resolved = self._resolve(self._online(), force=False)
        check = resolved.checks.get(target)
        if check is None:
            reason = resolved.problems.get(target, "no check is configured for it")
            if target in resolved.problems:
                raise UnknownCheckType(f"{target}: {reason}")
            raise UnknownTarget(f"{target}: {reason}")
        return check

    def release_channels(self, target: str) -> ReleaseChannels:
        """The channels ``target`` offers; ConfigurationInvalid when it defines none."""
        channels = release_channels_of(self._check_of(target))
        if channels is None:
            raise ConfigurationInvalid(
                "defines no release channels (needs stable_branch and prerelease_branches)",
                key=f"checks.{target}",
            )
        return channels

    def set_release_channel(self, target: str, channel: str) -> None:
        """Follow ``channel`` (a branch id); persisted, and the target is checked afresh."""
        channels = self.release_channels(target)
        known = [c.branch for c in channels.available]
        if channel not in known:
            raise ConfigurationInvalid(
                f"unknown release channel {channel!r}; known: {', '.join(known)}",
                key=f"checks.{target}",
            )
        if channel == channels.stable:
            self._state.update(target, prerelease=False, prerelease_channel=None)
        else:
            self._state.update(target, prerelease=True, prerelease_channel=channel)
        self.invalidate(target)

    def skip(self, target: str, version: str) -> None:
        """Hide ``version`` of ``target`` until a newer version appears."""
        self._check_of(target)
        if not str(version).strip():
            raise ConfigurationInvalid("the version to skip is empty", key=f"checks.{target}")
        self._state.update(target, skipped_version=str(version))

    def unskip(self, target: str) -> None:
        """Show ``target``'s skipped version again."""
        self._state.update(target, skipped_version=None)

    def invalidate(self, target: str) -> None:
        """Drop the cached answer of ``target`` (after an update or a config change)."""
        self._cache.drop(target)
        self._cache.flush()

    def record_current(self, target: str, value: str) -> None:
        """Persist ``current`` of a commit-tracking target after an update."""
        self._state.update(target, current=str(value))
        self.invalidate(target)

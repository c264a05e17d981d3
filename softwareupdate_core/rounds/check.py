"""One check round: effective configs -> version cache -> concurrent checks -> CheckReport.

Effective check configs are merged in this order: the host's ``default_checks`` -> checks
provided by plugins through ``softwareupdate_check_config`` -> check overlays (for targets
that exist) -> the user's ``checks`` section -> the persisted per-target state (tracked
``current``, channel choice).
The global ``pip_command`` and ``plugin_folder`` settings are filled into every check that
lacks its own, ``max_pages`` into every release-list check (:data:`PAGED_TYPES`) and
``index_url`` into every package-index check (:data:`INDEX_TYPES`), so
updaters and checks only read the check config. Each merged config is then validated like
the user's ``checks`` entries; one that fails is that target's error, never the round's.

A target answered by the version cache costs no import, no HTTP machinery and no thread.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import Any, Callable, Optional

import attrs

from .. import events
from ..config.overlays import OVERLAYS_FILE, OverlaySource
from ..config.validation import validate_check
from ..context import Context, no_events
from ..exceptions import (
    CheckError,
    ConfigurationInvalid,
    SoftwareUpdateError,
    UnknownCheckType,
    error_code,
)
from ..http.conditional import VALIDATORS_FILE, PersistentValidatorStore
from ..memo import Memo
from ..models import (
    CheckReport,
    ReleaseChannel,
    ReleaseChannels,
    TargetStatus,
    VersionInformation,
    VersionRef,
)
from ..plugins import collect
from ..protocols import host_call
from ..store.state import STATE_FILE, StateStore, TargetState
from ..store.version_cache import (
    VERSION_CACHE_FILE,
    CacheEntry,
    ConfigDigests,
    VersionCache,
    config_hash,
)
from ..updaters import select_method
from ..util import accepted_keywords, fill_placeholders, pick_keywords
from ..version_checks._channels import commitish_value, misspelt_commitish, populate_release_check

log = logging.getLogger(__name__)

#: Check types whose ``current`` is a commit the library tracks itself. Without ``current``
#: the newest commit is offered as an update (installing it is how ``current`` becomes known);
#: a successful update records the installed commit.
COMMIT_TYPES = frozenset(
    {"github_commit", "bitbucket_commit", "forgejo_commit", "codeberg_commit", "git_commit"}
)
#: Check types that learn ``current``: without it, the first answer is recorded as installed.
LEARNING_TYPES = frozenset({"httpheader", "jsondata"})
#: Check types whose installed version is only known from ``current``: a successful update
#: records the version it installed, so the next check does not offer it again.
CURRENT_TRACKING_TYPES = COMMIT_TYPES | LEARNING_TYPES
#: Check types that page through a release list and read ``max_pages``: the global setting
#: is filled into these only, so other targets' configs (and cache digests) stay as written.
PAGED_TYPES = frozenset({"github_release", "forgejo_release", "codeberg_release", "gitlab_release"})
#: Check types that read a package index's ``index_url``: the global setting is filled in.
INDEX_TYPES = frozenset({"pypi_release"})


@attrs.frozen
class Resolved:
    """Effective configs of valid targets, and why other configured targets cannot be checked."""

    checks: Mapping[str, dict[str, Any]]
    problems: Mapping[str, str]
    states: Mapping[str, TargetState] = attrs.field(factory=dict)
    #: Settings entries left out on purpose (no type, no provider), with the reason.
    ignored: Mapping[str, str] = attrs.field(factory=dict)
    #: The report's error code of each problem that is not ``unknown_check`` (``config``).
    codes: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class _Answer:
    """What one target's check produced: an entry to show, or an error (maybe with a stale one)."""

    entry: Optional[CacheEntry] = None
    error: Optional[str] = None
    error_message: Optional[str] = None
    stale: bool = False


#: ``displayVersion`` of a target whose installed version is not known.
UNKNOWN_VERSION = "unknown"
#: ``displayVersion`` of a ``pypi_release`` target whose package is not installed.
NOT_INSTALLED = "not installed"


def _text(value: Any) -> Optional[str]:
    return None if value is None or value == "" else str(value)


def _utc(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)


def release_channels_of(check: Mapping[str, Any]) -> Optional[ReleaseChannels]:
    """The channels of a check that defines ``stable_branch`` and ``prerelease_branches``.

    Malformed channel entries (no string ``branch``, odd ``name``/``commitish``) are skipped
    or repaired rather than raised on: a status must be built for every target.
    """
    stable = check.get("stable_branch")
    pre = check.get("prerelease_branches")
    if stable is None or pre is None:
        return None  # the common case, without the costlier isinstance(..., Mapping)
    if not isinstance(pre, list):
        return None
    first = _channel(stable)
    if first is None:
        return None
    available = [first]
    for raw in pre:
        channel = _channel(raw)
        if channel is not None:
            available.append(channel)
    current = first.branch
    wanted = check.get("prerelease_channel")
    if check.get("prerelease") is True and isinstance(wanted, str) and wanted:
        current = wanted  # a channel not defined here still is the one followed
    return ReleaseChannels(available=tuple(available), current=current, stable=first.branch)


def _channel(raw: Any) -> Optional[ReleaseChannel]:
    """One channel entry as a ReleaseChannel; None when it has no string ``branch``."""
    if not isinstance(raw, Mapping):
        return None
    branch = raw.get("branch")
    if not isinstance(branch, str) or not branch:
        return None
    name = raw.get("name")
    commitish = commitish_value(raw)
    if isinstance(commitish, str):
        commitish = [commitish]
    elif isinstance(commitish, (list, tuple)):
        commitish = [c for c in commitish if isinstance(c, str) and c]
    else:
        commitish = None
    return ReleaseChannel(
        branch=branch,
        name=name if isinstance(name, str) and name else branch,
        commitish=tuple(commitish or [branch]),
    )


def _origin(name: str, owners: Mapping[str, Any]) -> str:
    """Where the base of ``name``'s effective config came from, for error messages."""
    owner = owners.get(name)
    return "effective check config" + (f" (provided by plugin {owner})" if owner else "")


class _OncePerRound:
    """The update guard's answer, asked when the first target needs it and kept for the round.

    The guard may read files and package metadata; a round in which no update is possible
    anyway (nothing available, no method) does not ask it at all.
    """

    def __init__(self, ask: Callable[[], Optional[str]]) -> None:
        self._ask = ask
        self._asked = False
        self._reason: Optional[str] = None

    def __call__(self) -> Optional[str]:
        if not self._asked:
            self._reason = self._ask()
            self._asked = True
        return self._reason


class CheckRunner:
    """Runs check rounds for one Manager; thread-safe, and concurrent rounds share work."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        folder = ctx.data_folder
        self._guard: Optional[Callable[[], Optional[str]]] = None
        self._cache = VersionCache(folder / VERSION_CACHE_FILE, ctx.clock)
        self._state = StateStore(folder / STATE_FILE, ctx.clock)
        self._overlays = OverlaySource(folder / OVERLAYS_FILE, ctx.http, ctx.clock)
        self._validators = PersistentValidatorStore(folder / VALIDATORS_FILE, ctx.clock)
        self._digests = ConfigDigests()
        ctx.http.validators = self._validators
        self._lock = threading.Lock()
        self._inflight: dict[tuple[Optional[tuple[str, ...]], bool], Future[CheckReport]] = {}
        self._accepted: dict[str, Optional[frozenset[str]]] = {}
        #: Targets already warned about a misspelt ``commitish`` (one warning per target).
        self._misspelt_warned: set[str] = set()
        self._memo = Memo()

    # -- configuration ------------------------------------------------------------------
    def set_guard(self, guard: Callable[[], Optional[str]]) -> None:
        """``guard()`` returns why updates are not possible right now, or None."""
        self._guard = guard

    def effective_checks(self) -> dict[str, dict[str, Any]]:
        """Every valid target's check config, with overlays, user settings and state applied."""
        return {k: dict(v) for k, v in self._resolve(self._online(), force=False).checks.items()}

    def config_problems(self) -> dict[str, str]:
        """Configured targets that cannot be checked or are ignored, with the reason why."""
        resolved = self._resolve(self._online(), force=False)
        return {**resolved.ignored, **resolved.problems}

    def _online(self) -> bool:
        try:
            return bool(host_call(self._ctx.host, "is_online"))
        except Exception:
            log.exception("the host's is_online() failed; assuming online")
            return True

    def _resolve(self, online: bool, *, force: bool) -> Resolved:
        settings = self._ctx.settings
        if settings.disabled_reason is not None:
            return Resolved({}, {})  # no overlay fetched either: the plugin is off
        provided, owners = collect(self._ctx.plugin_manager, "softwareupdate_check_config")
        problems: dict[str, str] = {}
        ignored: dict[str, str] = {}
        codes: dict[str, str] = {}
        merged = {name: dict(cfg) for name, cfg in settings.default_checks.items()}
        for name, cfg in provided.items():
            if name in merged:
                log.warning(
                    "check config of %r from plugin %s refused: a default target",
                    name,
                    owners[name],
                )
            elif isinstance(cfg, Mapping):
                merged[name] = dict(cfg)
            else:
                problems[name] = f"the plugin's check config is a {type(cfg).__name__}"
                codes[name] = "config"
        for name, cfg in settings.checks.items():
            if name in merged:
                continue
            if not cfg:
                problems[name] = "the check config is empty"
            elif "type" in cfg:
                merged[name] = {}
            else:
                reason = (
                    "has no 'type' and no plugin provides it (a typo, or an uninstalled plugin)"
                )
                log.warning("checks.%s %s; ignored", name, reason)
                ignored[name] = reason
        overlays = self._overlays.get(
            settings.check_overlay_url, settings.check_overlay_ttl, online=online, force=force
        )
        states = self._state.all()
        checks: dict[str, dict[str, Any]] = {}
        for name, cfg in merged.items():
            if name in settings.invalid_checks:
                problems[name] = f"invalid check config: {settings.invalid_checks[name]}"
                codes[name] = "config"
                continue
            cfg.update(overlays.get(name, {}))
            cfg.update(settings.checks.get(name) or {})
            state = states.get(name)
            if state is not None:
                cfg = state.apply(cfg)
            if not cfg:
                problems[name] = "the check config is empty"
                continue
            if not cfg.get("type"):
                problems[name] = "the check config has no 'type'"
                continue
            if settings.pip_command is not None and "pip_command" not in cfg:
                cfg["pip_command"] = settings.pip_command
            if settings.plugin_folder is not None and "plugin_folder" not in cfg:
                cfg["plugin_folder"] = settings.plugin_folder
            if "max_pages" not in cfg and cfg["type"] in PAGED_TYPES:
                cfg["max_pages"] = settings.max_pages
            if settings.index_url is not None and cfg["type"] in INDEX_TYPES:
                cfg.setdefault("index_url", settings.index_url)
            try:
                # plugin, overlay and host configs get the check the user's entries got
                cfg = validate_check(name, cfg, source=_origin(name, owners))
            except ConfigurationInvalid as exc:
                log.warning("target %s cannot be checked: %s", name, exc)
                problems[name] = f"invalid check config: {exc}"
                codes[name] = "config"
                continue
            self._warn_misspelt(name, cfg)
            checks[name] = populate_release_check(cfg)
        return Resolved(checks, problems, states, ignored, codes)

    def _warn_misspelt(self, name: str, cfg: Mapping[str, Any]) -> None:
        """One warning per target whose channels spell ``commitish`` otherwise (read as it)."""
        if name in self._misspelt_warned or (
            "stable_branch" not in cfg and "prerelease_branches" not in cfg
        ):
            return
        misspelt = misspelt_commitish(cfg)
        if misspelt:
            with self._lock:
                self._misspelt_warned.add(name)
            log.warning(
                "checks.%s: %s read as 'commitish' (misspelt key)",
                name,
                ", ".join(misspelt),
            )

    # -- rounds -------------------------------------------------------------------------
    def check(self, targets: Optional[Iterable[str]] = None, *, force: bool = False) -> CheckReport:
        """Check ``targets`` (default: all); a call made while the same round runs shares it."""
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
            report = self._round(wanted, force)
        except BaseException as exc:
            future.set_exception(exc)
            raise
        else:
            future.set_result(report)
            return report
        finally:
            with self._lock:
                self._inflight.pop(key, None)

    def _round(self, wanted: Optional[tuple[str, ...]], force: bool) -> CheckReport:
        ctx = self._ctx
        online = self._online()
        resolved = self._resolve(online, force=force)
        names = list(wanted) if wanted is not None else [*resolved.checks, *resolved.problems]
        ctx.emit(events.CHECK_STARTED, {"targets": list(names), "force": force})
        self._cache.refresh()
        now = ctx.clock()
        ttl = ctx.settings.cache_ttl * 60.0
        answers: dict[str, _Answer] = {}
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
                answers[name] = _Answer(error=code, error_message=f"{name}: {reason}")
                continue
            if check.get("disabled"):
                answers[name] = _Answer()
                continue
            if check["type"] not in known_types:
                answers[name] = _Answer(
                    error="unknown_check",
                    error_message=f"{name}: unknown check type {check['type']!r}",
                )
                continue
            digest = digests.digest(name, check)
            entry = entries.get(name)
            if not force and entry is not None and entry.fresh(digest, online, now, ttl):
                answers[name] = _Answer(entry)
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
                futures = {
                    pool.submit(self._check_one, name, check, digest, online): name
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

        guard = _OncePerRound(self._guard_reason)
        host_values = self._host_values()
        statuses = {
            name: self._status(
                name,
                resolved.checks.get(name),
                answers[name],
                online,
                guard,
                resolved.states.get(name),
                host_values,
            )
            for name in names
        }
        report = CheckReport(targets=statuses, online=online, checked_at=_utc(ctx.clock()))
        ctx.emit(
            events.CHECK_FINISHED,
            {"targets": list(names), "update_available": report.update_available},
        )
        return report

    def _guard_reason(self) -> Optional[str]:
        if self._guard is None:
            return None
        try:
            return self._guard()
        except Exception as exc:
            log.exception("the update guard failed")
            return f"cannot tell whether updates are possible: {exc}"

    # -- one target ---------------------------------------------------------------------
    def _check_one(self, name: str, check: dict[str, Any], digest: str, online: bool) -> _Answer:
        try:
            info, is_current = self._call_checker(name, check, online)
        except Exception as exc:
            if isinstance(exc, SoftwareUpdateError):
                message = str(exc)
                log.info("check of %s failed: %s", name, message)
            else:  # a third-party checker's bug must not fail the round
                log.exception("check of %s failed", name)
                message = f"{type(exc).__name__}: {exc}"
            return self._fallback(name, digest, error_code(exc), message)
        if (
            check["type"] in LEARNING_TYPES
            and not check.get("current")
            and not info.local.value
            and info.remote.value
        ):
            # first answer of a header or document: what is there now counts as installed
            self._state.update(name, current=info.remote.value)
            check = self._state.get(name).apply(check)
            digest = config_hash(check)
            info = attrs.evolve(info, local=VersionRef(info.remote.name, info.remote.value))
            is_current = True
        entry = CacheEntry(digest, online, self._ctx.clock(), info, bool(is_current))
        self._cache.put(name, entry)
        return _Answer(entry)

    def _fallback(self, name: str, digest: str, code: str, message: str) -> _Answer:
        """Stale-while-error: an earlier good answer for the same config, within the limit."""
        entry = self._cache.get(name)
        limit = self._ctx.settings.stale_limit * 60.0
        if entry is not None and entry.config_hash == digest:
            age = entry.age(self._ctx.clock())
            if age < limit:
                return _Answer(entry, code, message, stale=True)
        return _Answer(None, code, message)

    def _call_checker(
        self, name: str, check: dict[str, Any], online: bool
    ) -> tuple[VersionInformation, bool]:
        ctx = self._ctx
        checker = ctx.registry.version_check(str(check["type"]))
        function = checker.get_latest
        offered = {
            "credentials": ctx.settings.credentials_for_checks(),
            "http": ctx.http,
            "memo": self._memo,
            "data_folder": ctx.data_folder,
        }
        kwargs = pick_keywords(
            {**offered, "online": online}, self._accepts(str(check["type"]), function)
        )
        result = function(name, dict(check), **kwargs)
        if not isinstance(result, tuple) or len(result) != 2:
            raise CheckError(
                f"{name}: the {check['type']} check returned {type(result).__name__}, "
                "expected (information, is_current)"
            )
        raw, is_current = result
        return VersionInformation.coerce(raw), bool(is_current)

    def _accepts(self, key: str, function: Callable[..., Any]) -> Optional[frozenset[str]]:
        """:func:`~.util.accepted_keywords` of check type ``key``, inspected once per runner."""
        with self._lock:
            if key in self._accepted:
                return self._accepted[key]
        found = accepted_keywords(function)
        with self._lock:
            self._accepted[key] = found
        return found

    # -- statuses -----------------------------------------------------------------------
    def _status(
        self,
        name: str,
        check: Optional[Mapping[str, Any]],
        answer: _Answer,
        online: bool,
        guard: _OncePerRound,
        state: Optional[TargetState],
        host_values: Mapping[str, str],
    ) -> TargetStatus:
        if check is None:
            return TargetStatus(
                name,
                name,
                "",
                error=answer.error,
                error_message=answer.error_message,
                online=online,
            )
        entry = answer.entry
        info = entry.information if entry is not None else None
        name_template = str(check.get("displayName") or name)
        version_template = check.get("displayVersion")
        if version_template or "{" in name_template or "}" in name_template:
            values: dict[str, Optional[str]] = dict(host_values)
            if info is not None:
                values["local_name"] = info.local.name
                values["local_value"] = info.local.value
            display_name = fill_placeholders(name_template, values)
        else:
            display_name = name_template  # no placeholders: skip building the values
        not_installed = (
            check.get("type") == "pypi_release"
            and not check.get("current")
            and info is not None
            and info.local.value is None
        )
        if version_template:
            display_version = fill_placeholders(str(version_template), values)
        elif not_installed:
            display_version = NOT_INSTALLED
        else:
            # as the reference: the installed version, else ``current``, else "unknown"
            local = info.local.name if info is not None else None
            display_version = local or _text(check.get("current")) or UNKNOWN_VERSION

        release_notes = None
        if info is not None:
            template = check.get("release_notes")
            release_notes = (
                fill_placeholders(
                    str(template),
                    {"target_version": info.remote.value, "target_name": info.remote.name},
                )
                if template
                else info.remote.release_notes
            )

        available = entry is not None and not entry.is_current and not not_installed
        skipped = self._skipped(name, info, state) if available else None
        if skipped is not None:
            available = False
        disabled = "disabled in the check config" if check.get("disabled") else None
        compatible = check.get("compatible", True) is not False
        method = select_method(check)
        possible = False
        reason = None
        if disabled is None and answer.error is None and not not_installed:
            # whether the updater could update it, asked whether or not an update is on offer
            possible, reason = self._possible(name, check, method, online, compatible, guard)
        return TargetStatus(
            name,
            display_name,
            display_version,
            information=info,
            update_available=available,
            update_possible=possible,
            online=online,
            error=answer.error,
            error_message=answer.error_message,
            disabled=disabled,
            compatible=compatible,
            release_notes=release_notes,
            release_channels=release_channels_of(check),
            stale=answer.stale,
            checked_at=None if entry is None else _utc(entry.stored_at),
            check_type=str(check.get("type")),
            method=method,
            not_possible_reason=reason,
            skipped_version=skipped,
        )

    def _host_values(self) -> dict[str, str]:
        """The host's extra display placeholders (``version_placeholders()``), once a round."""
        placeholders = getattr(self._ctx.host, "version_placeholders", None)
        if not callable(placeholders):
            return {}
        try:
            return {str(k): str(v) for k, v in dict(placeholders()).items()}
        except Exception:
            log.exception("the host's version_placeholders() failed")
            return {}

    def _possible(
        self,
        name: str,
        check: Mapping[str, Any],
        method: Optional[str],
        online: bool,
        compatible: bool,
        guard: _OncePerRound,
    ) -> tuple[bool, Optional[str]]:
        if not compatible:
            return False, "the update is not compatible with this installation"
        if method is None or method not in self._ctx.registry.updaters:
            return False, f"no update method for {name}" + (f" ({method!r})" if method else "")
        try:
            can = bool(
                self._ctx.registry.updaters[method].can_perform_update(name, check, online=online)
            )
        except Exception as exc:
            log.exception("can_perform_update of %s failed", name)
            return False, f"the {method} updater failed: {exc}"
        if not can:
            return False, f"the {method} updater cannot update {name} now"
        reason = guard()
        if reason is not None:
            return False, reason
        return True, None

    def _skipped(
        self, name: str, info: Optional[VersionInformation], state: Optional[TargetState]
    ) -> Optional[str]:
        """The skipped version if it is the one on offer; a newer one clears the skip."""
        skipped = None if state is None else state.skipped_version
        if skipped is None or info is None:
            return None
        if skipped in (info.remote.value, info.remote.name):
            return skipped
        log.info("%s: version %s appeared, no longer skipping %s", name, info.remote.name, skipped)
        self._state.update(name, skipped_version=None)
        return None

    # -- channels, skip, state ----------------------------------------------------------
    def _check_of(self, target: str) -> dict[str, Any]:
        resolved = self._resolve(self._online(), force=False)
        check = resolved.checks.get(target)
        if check is None:
            reason = resolved.problems.get(target, "no check is configured for it")
            raise UnknownCheckType(f"{target}: {reason}")
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

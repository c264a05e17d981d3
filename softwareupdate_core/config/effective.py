"""The effective check configuration of a round, layered once into one frozen value.

Effective check configs are merged in this order: the host's ``default_checks`` -> checks
provided by plugins through ``softwareupdate_check_config`` -> check overlays (for targets
that exist) -> the user's ``checks`` section -> the persisted per-target state (tracked
``current``, channel choice).
The global ``pip_command`` and ``plugin_folder`` settings are filled into every check that
lacks its own, and the settings a check type names in its ``settings_defaults`` capability
(``max_pages``, ``index_url``) into its checks, so updaters and checks only read the check
config. Each merged config is then validated like the user's ``checks`` entries, and parsed
by the ``parse_config`` of its check type and of its update method: the same parsers
``Manager.validate()`` runs. One that fails is that target's error, never the round's.

A round resolves this once (:class:`Resolved`, immutable) and every step of it (check,
statuses, plan, guards) reads that one value.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any, Optional

import attrs

from ..context import Context
from ..exceptions import ConfigurationInvalid
from ..plugins import collect
from ..protocols import parse_with
from ..store.state import StateStore, TargetState
from ..updaters import select_method
from ..version_checks._channels import misspelt_commitish, populate_release_check
from .overlays import OverlaySource
from .validation import validate_check

log = logging.getLogger(__name__)


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
    #: Targets in ``checks`` whose check type's ``parse_config`` refused the config (filled
    #: for ``validate``; a check round parses the targets it checks itself).
    check_problems: Mapping[str, str] = attrs.field(factory=dict)
    #: Targets in ``checks`` whose update method's ``parse_config`` refused the config.
    update_problems: Mapping[str, str] = attrs.field(factory=dict)

    def validation_problems(self) -> dict[str, str]:
        """Every problem of every configured target (what ``validate`` reports)."""
        found = {**self.ignored, **self.problems}
        for name, problem in self.check_problems.items():
            found[name] = problem
        for name, problem in self.update_problems.items():
            found[name] = f"{found[name]}; {problem}" if name in found else problem
        return found


def _origin(name: str, owners: Mapping[str, Any]) -> str:
    """Where the base of ``name``'s effective config came from, for error messages."""
    owner = owners.get(name)
    return "effective check config" + (f" (provided by plugin {owner})" if owner else "")


class ConfigResolver:
    """Layers defaults, plugins, overlays, user settings and state into one :class:`Resolved`."""

    def __init__(self, ctx: Context, overlays: OverlaySource, state: StateStore) -> None:
        self._ctx = ctx
        self._overlays = overlays
        self._state = state
        self._lock = threading.Lock()
        #: Targets already warned about a misspelt ``commitish`` (one warning per target).
        self._misspelt_warned: set[str] = set()

    def resolve(self, online: bool, *, force: bool, parse_checks: bool = False) -> Resolved:
        """The effective configuration; ``parse_checks`` also runs every check type's parser
        (``validate``; a round runs it for the targets it checks, not for cached answers)."""
        settings = self._ctx.settings
        registry = self._ctx.registry
        check_problems: dict[str, str] = {}
        update_problems: dict[str, str] = {}
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
                if name in provided:
                    # as OctoPrint: a plugin's entry without a type is not a check (MultiCam's
                    # ``events``); it is left out of the report
                    log.debug(
                        "check config %r of plugin %s has no type; left out", name, owners[name]
                    )
                else:
                    problems[name] = "the check config has no 'type'"
                continue
            if settings.pip_command is not None and "pip_command" not in cfg:
                cfg["pip_command"] = settings.pip_command
            if settings.plugin_folder is not None and "plugin_folder" not in cfg:
                cfg["plugin_folder"] = settings.plugin_folder
            capabilities = registry.check_capabilities(str(cfg["type"]))
            for key in capabilities.settings_defaults:
                value = getattr(settings, key, None)
                if value is not None and key not in cfg:
                    cfg[key] = value
            try:
                # plugin, overlay and host configs get the check the user's entries got
                cfg = validate_check(name, cfg, source=_origin(name, owners))
            except ConfigurationInvalid as exc:
                log.warning("target %s cannot be checked: %s", name, exc)
                problems[name] = f"invalid check config: {exc}"
                codes[name] = "config"
                continue
            self._warn_misspelt(name, cfg)
            method = select_method(cfg)
            if capabilities.channels:
                cfg = populate_release_check(
                    cfg, installs_older=registry.updater_capabilities(method).installs_older
                )
            checks[name] = cfg
            self._parse(
                name, cfg, method, check_problems if parse_checks else None, update_problems
            )
        return Resolved(checks, problems, states, ignored, codes, check_problems, update_problems)

    def _parse(
        self,
        name: str,
        cfg: Mapping[str, Any],
        method: Optional[str],
        check_problems: Optional[dict[str, str]],
        update_problems: dict[str, str],
    ) -> None:
        """Run the parsers of the target's update method (and check type, when
        ``check_problems`` is given); note refusals."""
        registry = self._ctx.registry
        checker = registry.version_checks.get(str(cfg["type"]))
        if checker is not None and check_problems is not None:
            try:
                parse_with(checker, name, cfg)
            except ConfigurationInvalid as exc:
                check_problems[name] = str(exc)
        updater = None if method is None else registry.updaters.get(method)
        if updater is not None:
            try:
                parse_with(updater, name, cfg)
            except ConfigurationInvalid as exc:
                update_problems[name] = str(exc)

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

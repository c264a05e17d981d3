"""The effective check configuration of a round, layered once into one frozen value.

Effective check configs are merged in this order: the host's ``default_checks`` -> checks
provided by plugins through ``softwareupdate_check_config`` -> check overlays (for targets
that exist) -> the user's ``checks`` section -> the persisted per-target state (tracked
``current``, channel choice).
The global ``pip_command`` and ``plugin_folder`` settings are filled into every check that
lacks its own, ``max_pages`` into every release-list check (:data:`PAGED_TYPES`) and
``index_url`` into every package-index check (:data:`INDEX_TYPES`), so
updaters and checks only read the check config. Each merged config is then validated like
the user's ``checks`` entries; one that fails is that target's error, never the round's.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

import attrs

from ..context import Context
from ..exceptions import ConfigurationInvalid
from ..plugins import collect
from ..store.state import StateStore, TargetState
from ..version_checks._channels import misspelt_commitish, populate_release_check
from .overlays import OverlaySource
from .validation import validate_check

log = logging.getLogger(__name__)


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

    def resolve(self, online: bool, *, force: bool) -> Resolved:
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

"""Build the pluggy plugin manager: built-ins, then entry points, then extra plugins."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, Callable, Optional

import attrs
import pluggy

from . import hookspecs
from ._lazy import LazyModule
from .hookspecs import PROJECT_NAME
from .protocols import (
    DEFAULT_CHECK_CAPABILITIES,
    DEFAULT_UPDATER_CAPABILITIES,
    CheckCapabilities,
    Updater,
    UpdaterCapabilities,
    VersionCheck,
    check_capabilities,
    updater_capabilities,
)

log = logging.getLogger(__name__)


def make_plugin_manager(
    plugins: Iterable[object] = (), load_entrypoints: bool = True
) -> pluggy.PluginManager:
    """Return a new PluginManager with the built-ins, entry points and ``plugins`` registered.

    The built-ins come first under fixed names, so a third party can never replace a built-in
    type; entry points of group ``softwareupdate_core`` follow, then ``plugins`` in order.
    """
    from .updaters import BUILTIN_PLUGINS as UPDATER_PLUGINS
    from .version_checks import BUILTIN_PLUGINS as CHECK_PLUGINS

    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    builtins: tuple[tuple[str, object], ...] = (*CHECK_PLUGINS, *UPDATER_PLUGINS)
    for name, plugin in builtins:
        pm.register(plugin, name=name)
    if load_entrypoints:
        try:
            pm.load_setuptools_entrypoints(PROJECT_NAME)
        except Exception:  # a broken third-party package must not take the library down
            log.exception("could not load the %s entry points", PROJECT_NAME)
    for plugin in plugins:
        if pm.is_registered(plugin):
            continue
        pm.register(plugin, name=_registration_name(pm, plugin))
    return pm


def _registration_name(pm: pluggy.PluginManager, plugin: object) -> str:
    """A readable, unique name for an extra plugin: its ``plugin_name``, module or class name.

    pluggy's default is the object's id, which would name a failing plugin by a number in
    every message about the targets it provides.
    """
    own = getattr(plugin, "plugin_name", None)
    if isinstance(own, str) and own:
        base = own
    elif isinstance(plugin, type) or hasattr(plugin, "__file__"):
        base = str(getattr(plugin, "__name__", type(plugin).__name__))
    else:
        cls = type(plugin)
        base = f"{cls.__module__}.{cls.__qualname__}"
    name, n = base, 1
    while pm.get_plugin(name) is not None or pm.is_blocked(name):
        n += 1
        name = f"{base}#{n}"
    return name


def plugin_label(pm: pluggy.PluginManager, plugin: object) -> str:
    """A name for log messages: the registered name, else the object's repr."""
    return pm.get_name(plugin) or repr(plugin)


def collect(
    pm: pluggy.PluginManager,
    hook_name: str,
    *,
    validate: Optional[Callable[[str, Any], Optional[str]]] = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Call ``hook_name`` on each plugin in registration order and merge the mappings.

    Returns ``(merged, owners)`` where ``owners`` maps each key to the plugin that provided it.
    The first plugin to provide a key wins; later offers are refused and logged with both
    plugin names. ``validate(key, value)`` may return a reason to refuse a single entry.
    """
    merged: dict[str, Any] = {}
    owners: dict[str, str] = {}
    for impl in getattr(pm.hook, hook_name).get_hookimpls():
        label = plugin_label(pm, impl.plugin)
        try:
            provided = impl.function()
        except Exception:
            log.exception("plugin %s failed in %s", label, hook_name)
            continue
        if provided is None:
            continue
        if not isinstance(provided, Mapping):
            log.warning(
                "plugin %s returned %s from %s, expected a mapping; ignored",
                label,
                type(provided).__name__,
                hook_name,
            )
            continue
        for key, value in provided.items():
            key = str(key)
            if key in merged:
                log.warning(
                    "%s: %r from plugin %s refused, already provided by plugin %s",
                    hook_name,
                    key,
                    label,
                    owners[key],
                )
                continue
            reason = validate(key, value) if validate else None
            if reason:
                log.warning("%s: %r from plugin %s refused: %s", hook_name, key, label, reason)
                continue
            merged[key] = value
            owners[key] = label
    return merged, owners


def _is_version_check(name: str, value: Any) -> Optional[str]:
    if isinstance(value, LazyModule):  # a built-in; checking would import it too early
        return None
    return None if callable(getattr(value, "get_latest", None)) else "it has no get_latest"


def _is_updater(name: str, value: Any) -> Optional[str]:
    if isinstance(value, LazyModule):
        return None
    ok = callable(getattr(value, "perform_update", None)) and callable(
        getattr(value, "can_perform_update", None)
    )
    return None if ok else "it lacks can_perform_update/perform_update"


@attrs.frozen
class Registry:
    """The version checks and updaters known to one Manager."""

    version_checks: Mapping[str, VersionCheck]
    updaters: Mapping[str, Updater]
    check_owners: Mapping[str, str]
    updater_owners: Mapping[str, str]

    @classmethod
    def build(cls, pm: pluggy.PluginManager) -> Registry:
        checks, check_owners = collect(
            pm, "softwareupdate_version_checks", validate=_is_version_check
        )
        updaters, updater_owners = collect(pm, "softwareupdate_updaters", validate=_is_updater)
        return cls(checks, updaters, check_owners, updater_owners)

    def version_check(self, type_name: str) -> VersionCheck:
        from .exceptions import UnknownCheckType

        try:
            return self.version_checks[type_name]
        except KeyError:
            raise UnknownCheckType(f"unknown check type {type_name!r}") from None

    def check_capabilities(self, type_name: str) -> CheckCapabilities:
        """The ``CAPABILITIES`` of check type ``type_name``; the defaults when it has none
        or the type is unknown."""
        found = self.version_checks.get(type_name)
        return DEFAULT_CHECK_CAPABILITIES if found is None else check_capabilities(found)

    def updater_capabilities(self, method: Optional[str]) -> UpdaterCapabilities:
        """The ``CAPABILITIES`` of update method ``method``; the defaults when it has none,
        is unknown or None."""
        found = None if method is None else self.updaters.get(method)
        return DEFAULT_UPDATER_CAPABILITIES if found is None else updater_capabilities(found)

    def updater(self, method: str) -> Updater:
        from .exceptions import UnknownUpdateType

        try:
            return self.updaters[method]
        except KeyError:
            raise UnknownUpdateType(f"unknown update method {method!r}") from None

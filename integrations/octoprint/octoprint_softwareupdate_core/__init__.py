"""OctoPrint plugin ``softwareupdate_core``: OctoPrint's Software Update on softwareupdate-core.

At initialisation (before any plugin's ``on_startup``, so before the bundled Software Update
plugin's start-up check round) the plugin builds one :class:`softwareupdate_core.Manager` with
OctoPrint as its host and installs adapters on the bundled plugin's ``version_checks`` and
``updaters`` packages (see :mod:`.adapters`). ``GET /api/plugin/softwareupdate_core`` returns
the Manager's report for the targets the bundled plugin has configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

import flask
import octoprint.plugin
from octoprint.access.permissions import Permissions

from softwareupdate_core import Manager, Settings, hookimpl
from softwareupdate_core.exceptions import SoftwareUpdateError

from .adapters import ENGINE_CORE, ENGINES, Engine, Installation, install
from .host import EventBusSink, OctoPrintHost, custom_event_names

__plugin_name__ = "Software Update Core"
__plugin_description__ = (
    "Runs OctoPrint's Software Update checks and updates on softwareupdate-core and adds "
    "the GitLab and Forgejo/Codeberg check types."
)
__plugin_license__ = "MIT"
__plugin_pythoncompat__ = ">=3.9,<4"

#: Keys of ``plugins.softwareupdate`` that mean the same to the library.
SHARED_KEYS = (
    "cache_ttl",
    "notify_users",
    "ignore_throttled",
    "minimum_free_storage",
    "pip_command",
)
#: Keys of this plugin's own settings passed to the library as they are.
OWN_KEYS = ("timeout", "per_host_limit", "max_pages", "updatelog_cutoff")


def core_settings(
    softwareupdate: Mapping[str, Any], own: Mapping[str, Any], credentials: Mapping[str, Any]
) -> Settings:
    """The library's settings from OctoPrint's ``plugins.softwareupdate`` and this plugin's.

    Targets are not copied: the Manager reads them from the bundled plugin (overlays already
    merged) through :class:`BundledChecks`, so the overlay URL is not fetched twice.
    """
    section: dict[str, Any] = {
        key: softwareupdate[key] for key in SHARED_KEYS if softwareupdate.get(key) is not None
    }
    section.update({key: own[key] for key in OWN_KEYS if own.get(key) is not None})
    section["credentials"] = {k: v for k, v in credentials.items() if v not in (None, "")}
    section["check_overlay_url"] = None
    return Settings.from_mapping(section, source="OctoPrint settings")


class BundledChecks:
    """A softwareupdate-core plugin serving the bundled plugin's configured targets.

    It asks the bundled plugin of OctoPrint 1.11 (``_get_configured_checks`` merges settings,
    hooks and overlays; ``_populated_check`` fills in ``current`` and display values), so the
    Manager checks exactly what OctoPrint checks. Without those methods it serves nothing and
    says so in the log.
    """

    def __init__(self, bundled: Any, logger: Any) -> None:
        self._bundled = bundled
        self._logger = logger

    @hookimpl
    def softwareupdate_check_config(self) -> Mapping[str, Mapping[str, Any]]:
        configured = getattr(self._bundled, "_get_configured_checks", None)
        populated = getattr(self._bundled, "_populated_check", None)
        if not callable(configured) or not callable(populated):
            self._logger.error("this OctoPrint's Software Update does not list its targets")
            return {}
        checks: dict[str, Mapping[str, Any]] = {}
        for target, check in configured().items():
            if check and "type" in check:
                checks[target] = populated(target, check)
        return checks


class SoftwareUpdateCorePlugin(
    octoprint.plugin.SettingsPlugin,
    octoprint.plugin.ShutdownPlugin,
    octoprint.plugin.SimpleApiPlugin,
):
    """Wires one Manager into OctoPrint and plugs it into the bundled Software Update."""

    def __init__(self) -> None:
        self._manager: Optional[Manager] = None
        self._installation: Optional[Installation] = None

    def get_settings_defaults(self) -> dict[str, Any]:
        return {
            "engine": ENGINE_CORE,
            "timeout": {"connect": 3.05, "read": 30},
            "per_host_limit": 8,
            "max_pages": None,
            "updatelog_cutoff": None,
        }

    # Installing in initialize() (called when the implementation is injected, before any
    # on_startup/on_after_startup) means the bundled plugin's start-up round already runs on
    # the adapters; see the README.
    def initialize(self) -> None:
        engine = self._settings.get(["engine"])
        if engine not in ENGINES:
            self._logger.error(
                "plugins.softwareupdate_core.engine: expected one of %s, got %r; "
                "OctoPrint's own check types stay in use",
                ", ".join(ENGINES),
                engine,
            )
            return
        info = self._plugin_manager.get_plugin_info("softwareupdate", require_enabled=True)
        if info is None or info.implementation is None:
            self._logger.error("the bundled Software Update plugin is disabled; nothing to do")
            return
        try:
            self._manager = self._build_manager(info.implementation)
        except SoftwareUpdateError as exc:
            self._logger.error("cannot set up softwareupdate-core: %s", exc)
            return
        from octoprint.plugins.softwareupdate import exceptions, updaters, version_checks

        sink = EventBusSink(self._event_bus)
        self._installation = install(
            Engine(self._manager, exceptions, sink),
            engine,
            version_checks,
            updaters,
            bundled=info.implementation,
        )
        self._logger.info(
            "engine %s: check types %s and update methods %s run on softwareupdate-core",
            engine,
            ", ".join(self._installation.check_types),
            ", ".join(self._installation.methods),
        )

    def _build_manager(self, bundled: Any) -> Manager:
        from octoprint import __version__ as octoprint_version

        helpers = self._plugin_manager.get_helpers("pi_support", "get_throttled") or {}
        host = OctoPrintHost(
            connectivity_checker=self._connectivity_checker,
            printer=self._printer,
            system_commands=self._system_commands,
            get_throttled=helpers.get("get_throttled"),
            octoprint_version=octoprint_version,
        )
        softwareupdate = self._settings.global_get(["plugins", "softwareupdate"], merged=True)
        own = self._settings.get([], merged=True) or {}
        credentials = (softwareupdate or {}).get("credentials") or {}
        return Manager(
            core_settings(softwareupdate or {}, own, credentials),
            data_folder=self.get_plugin_data_folder(),
            events=EventBusSink(self._event_bus),
            host=host,
            plugins=[BundledChecks(bundled, self._logger)],
        )

    def on_shutdown(self) -> None:
        if self._manager is not None:
            self._manager.close()

    # -- API ------------------------------------------------------------------------------
    def is_api_protected(self) -> bool:
        return True

    def on_api_get(self, request: Any) -> Any:
        """The Manager's report (``CheckReport.as_dict()``); ``?force=true`` skips the cache."""
        if not Permissions.PLUGIN_SOFTWAREUPDATE_CHECK.can():
            flask.abort(403)
        if self._manager is None:
            return flask.make_response(
                flask.jsonify(error="softwareupdate-core is not active, see octoprint.log"), 503
            )
        force = str(request.values.get("force", "")).lower() in ("1", "true", "yes")
        report = self._manager.check(force=force)
        return flask.jsonify(report.as_dict())


def __plugin_load__() -> None:
    global __plugin_implementation__, __plugin_hooks__
    __plugin_implementation__ = SoftwareUpdateCorePlugin()
    __plugin_hooks__ = {
        "octoprint.events.register_custom_events": lambda *args, **kwargs: custom_event_names(),
    }

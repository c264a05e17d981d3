"""The pluggy hook specifications third-party plugins (and the built-ins) implement.

Every hook is called without arguments. Results of several plugins are merged by
:mod:`softwareupdate_core.plugins` in registration order: the first plugin to provide a name
keeps it, and a later plugin offering the same name is refused with a logged warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .protocols import Updater, VersionCheck

PROJECT_NAME = "softwareupdate_core"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def softwareupdate_version_checks() -> Mapping[str, VersionCheck]:
    """Return version check types this plugin provides: type name -> VersionCheck.

    Called once when a Manager builds its registry. A value qualifies when it has a
    ``get_latest(target, check, online=True, credentials=None, **kwargs)`` callable; a module
    qualifies. A type name already registered (a built-in or an earlier plugin) is refused.
    """
    return {}


@hookspec
def softwareupdate_updaters() -> Mapping[str, Updater]:
    """Return update methods this plugin provides: method name -> Updater.

    Called once when a Manager builds its registry. A value qualifies when it has
    ``can_perform_update(target, check, online=True)`` and
    ``perform_update(target, check, target_version, log_cb=None, online=True, force=False)``.
    A method name already registered is refused.
    """
    return {}


@hookspec
def softwareupdate_check_config() -> Mapping[str, Mapping[str, Any]]:
    """Return check configs for the targets this plugin provides: target -> check config.

    Called at the start of every check and update round (so a plugin may change its answer).
    The config has the same keys as the ``checks`` section of the settings and may carry a
    ``python_checker`` or ``python_updater`` object. A target already provided by another
    plugin is refused; the user's ``checks`` section and check overlays are merged on top.
    """
    return {}

"""Built-in version check types, one module per type, registered as a pluggy plugin.

Plugin authors may reuse these from a ``python_checker``: each module's ``get_latest``
takes ``(target, check, online=True, credentials=None, **kwargs)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._lazy import LazyModule
from ..hookspecs import hookimpl

#: Check type -> module name below this package (aliases share a module).
BUILTIN_TYPES: Mapping[str, str] = {
    "github_release": "github_release",
    "github_commit": "github_commit",
    "bitbucket_commit": "bitbucket_commit",
    "git_commit": "git_commit",
    "pypi_release": "pypi_release",
    "httpheader": "httpheader",
    "jsondata": "jsondata",
    "command_line": "command_line",
    "python_checker": "python_checker",
    "always_current": "always_current",
    "never_current": "never_current",
    "forgejo_release": "forgejo_release",
    "forgejo_commit": "forgejo_commit",
    "codeberg_release": "forgejo_release",
    "codeberg_commit": "forgejo_commit",
    "gitlab_release": "gitlab_release",
}


class BuiltinVersionChecks:
    """Registers the built-in check types through the public hook."""

    @hookimpl
    def softwareupdate_version_checks(self) -> Mapping[str, Any]:
        from ._capabilities import BY_MODULE

        return {
            name: LazyModule(f"{__name__}.{module}", BY_MODULE[module])
            for name, module in BUILTIN_TYPES.items()
        }


BUILTIN_PLUGINS = (("softwareupdate_core.version_checks", BuiltinVersionChecks()),)
